import { Resend } from 'resend';
import { describeTimeout, OUTBOUND_TIMEOUT_MS, outboundDeadline, retryAfterMs } from '../outbound.js';
import { ChannelError, type Channel, type OutboundMessage } from './channel.js';

// Resend's error names that a later try may get past; every other one (validation, a bad key or
// address) is permanent.
const RETRYABLE = new Set(['rate_limit_exceeded', 'internal_server_error', 'application_error', 'concurrent_idempotent_requests', 'daily_quota_exceeded']);

/**
 * Email through the Resend SDK: HTML and text bodies, the notification's key as Idempotency-Key (so
 * a retry after a lost answer sends nothing twice). The SDK waits forever by itself and reports a
 * failed connection as an `application_error` without a status: the request carries our deadline,
 * and such failures are told apart from Resend's own refusals.
 */
export function resendChannel(options: { apiKey: string; from: string; baseUrl?: string; timeoutMs?: number }): Channel {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
  return {
    name: 'email',
    async send(address: string, message: OutboundMessage) {
      const deadline = outboundDeadline(timeoutMs);
      let result: Awaited<ReturnType<typeof resend.emails.send>>;
      try {
        result = await resend.emails.send(
          { from: options.from, to: address, subject: message.subject, html: message.html, text: message.text },
          { idempotencyKey: message.idempotencyKey.slice(0, 256), signal: deadline },
        );
      } catch {
        result = { data: null, error: { name: 'application_error', statusCode: null, message: 'request failed' }, headers: null };
      }
      if (result.data && !result.error) return { providerMessageId: result.data.id };
      const { error } = result;
      const status = error?.statusCode ?? null;
      if (status === null) {
        throw new ChannelError('email', true, deadline.aborted ? `resend: no answer ${describeTimeout(timeoutMs)}` : 'resend: connection failed');
      }
      const name = error?.name ?? 'application_error';
      const retryable = RETRYABLE.has(name) || status >= 500 || status === 429;
      throw new ChannelError('email', retryable, `resend: ${name}`, status === 429 ? retryAfterMs(result.headers?.['retry-after']) : undefined);
    },
  };
}
