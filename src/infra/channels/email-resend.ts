import { Resend } from 'resend';
import { ChannelError, type Channel, type OutboundMessage } from './channel.js';

// Resend's error names that a later try may get past; every other one (validation, a bad key or
// address) is permanent.
const RETRYABLE = new Set(['rate_limit_exceeded', 'internal_server_error', 'application_error', 'concurrent_idempotent_requests', 'daily_quota_exceeded']);

/** Email through the Resend SDK: HTML and text bodies, the notification's key as Idempotency-Key. */
export function resendChannel(options: { apiKey: string; from: string; baseUrl?: string }): Channel {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  return {
    name: 'email',
    async send(address: string, message: OutboundMessage) {
      let result: Awaited<ReturnType<typeof resend.emails.send>>;
      try {
        result = await resend.emails.send(
          { from: options.from, to: address, subject: message.subject, html: message.html, text: message.text },
          { idempotencyKey: message.idempotencyKey.slice(0, 256) },
        );
      } catch {
        throw new ChannelError('email', true, 'resend: network error');
      }
      if (result.error || !result.data) {
        const name = result.error?.name ?? 'application_error';
        const status = (result.error as { statusCode?: number | null } | null)?.statusCode ?? null;
        const retryable = RETRYABLE.has(name) || (status !== null && (status >= 500 || status === 429));
        throw new ChannelError('email', retryable, `resend: ${name}`);
      }
      return { providerMessageId: result.data.id };
    },
  };
}
