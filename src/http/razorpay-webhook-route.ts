import type { IncomingMessage } from 'node:http';
import { handleRazorpayWebhook } from '../domain/billing/razorpay-webhook.js';
import type { DomainContext } from '../domain/context.js';
import { isDomainError } from '../domain/errors.js';
import { readRawBody } from './read-body.js';
import type { Reply, Route } from './server.js';

export const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * POST /webhooks/razorpay: passes the raw bytes and the two headers to the domain. 400 for a bad
 * signature or body (nothing changes), 200 for anything accepted, duplicate or unknown, 503 while
 * no webhook secret is configured and 500 when the database fails (Razorpay retries both).
 */
export function razorpayWebhookRoute(ctx: DomainContext, webhookSecrets: readonly string[]): Route {
  return {
    method: 'POST',
    path: '/webhooks/razorpay',
    async handle(request): Promise<Reply> {
      if (webhookSecrets.length === 0) {
        request.resume();
        return { status: 503, body: { error: 'Razorpay webhooks are not configured (RAZORPAY_WEBHOOK_SECRET)' }, log: 'not configured' };
      }
      const rawBody = await readRawBody(request, WEBHOOK_BODY_LIMIT_BYTES);
      try {
        const result = await handleRazorpayWebhook(
          ctx,
          { rawBody, signature: header(request, 'x-razorpay-signature'), eventId: header(request, 'x-razorpay-event-id') },
          webhookSecrets,
        );
        return { status: 200, body: { status: 'ok', outcome: result.status }, log: `${result.eventType} ${result.eventId} ${result.status}` };
      } catch (error) {
        if (isDomainError(error) && error.kind === 'invalid') return { status: 400, body: { error: error.message }, log: 'refused' };
        throw error;
      }
    },
  };
}
