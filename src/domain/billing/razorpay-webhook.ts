import { createHash } from 'node:crypto';
import { z } from 'zod';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError } from '../errors.js';
import { hmacSignatureMatches } from './checkout-signature.js';
import { applyRazorpayEvent, type EventOutcome } from './razorpay-webhook-events.js';

/** One POST from Razorpay, as bytes and headers: the body must not be parsed before it is verified. */
export interface RazorpayDelivery {
  rawBody: Buffer;
  /** X-Razorpay-Signature */
  signature: string | undefined;
  /** X-Razorpay-Event-Id: the same on every retry of an event. */
  eventId: string | undefined;
}

export interface WebhookResult {
  eventId: string;
  eventType: string;
  status: EventOutcome['status'] | 'duplicate';
  detail: string;
}

const envelope = z.object({
  event: z.string().min(1).max(100),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.number().int().positive(),
});

// Kept out of the stored payload: who paid, and how to reach them (ids, amounts, notes and bank references stay).
const PERSONAL_KEYS = new Set(['email', 'contact', 'name', 'vpa', 'customer', 'customer_details', 'card', 'bank_account', 'billing_address', 'shipping_address']);

function withoutPersonalDetails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPersonalDetails);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, PERSONAL_KEYS.has(key) && v !== null ? '[removed]' : withoutPersonalDetails(v)]),
  );
}

function parseEvent(rawBody: Buffer) {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new InvalidInputError('The webhook body is not JSON.');
  }
  const event = envelope.safeParse(json);
  if (!event.success) throw new InvalidInputError('The webhook body is not a Razorpay event.');
  return { ...event.data, json };
}

function eventIdOf(delivery: RazorpayDelivery): string {
  const id = delivery.eventId?.trim();
  if (id && id.length > 200) throw new InvalidInputError('The X-Razorpay-Event-Id is too long.');
  // Razorpay always sends the header; without it, the same bytes are the same event.
  return id || `sha256:${createHash('sha256').update(delivery.rawBody).digest('hex')}`;
}

/**
 * A Razorpay webhook delivery, verified against the webhook secret(s) (more than one while a secret is
 * being rotated: Razorpay signs retries of older events with the old one). A bad signature or body is
 * an InvalidInputError and changes nothing. The event is recorded first; if Razorpay already delivered
 * it (the unique provider + event id decides, even for two deliveries at the same moment) nothing
 * else happens. Otherwise it is applied in the same transaction. Unknown events are recorded, not errors.
 */
export async function handleRazorpayWebhook(ctx: DomainContext, delivery: RazorpayDelivery, webhookSecrets: readonly string[]): Promise<WebhookResult> {
  const secrets = webhookSecrets.filter((s) => s.length > 0);
  if (secrets.length === 0) throw new Error('No Razorpay webhook secret is configured.');
  const { signature, rawBody } = delivery;
  if (!signature || !secrets.some((secret) => hmacSignatureMatches(secret, rawBody, signature.trim()))) {
    throw new InvalidInputError('The X-Razorpay-Signature does not match the body.');
  }
  const event = parseEvent(rawBody);
  const eventId = eventIdOf(delivery);
  return inTransaction(ctx, async (tx) => {
    const recorded = await tx.db
      .insertInto('webhook_events')
      .values({
        provider: 'razorpay',
        event_id: eventId,
        event_type: event.event,
        payload: JSON.stringify(withoutPersonalDetails(event.json)),
        received_at: tx.clock.now(),
      })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!recorded) return { eventId, eventType: event.event, status: 'duplicate', detail: 'already received' };
    const outcome = await applyRazorpayEvent(tx, event.event, event.payload, new Date(event.created_at * 1000));
    await tx.db
      .updateTable('webhook_events')
      .set({ processed_at: tx.clock.now(), outcome: `${outcome.status}: ${outcome.detail}` })
      .where('id', '=', recorded.id)
      .execute();
    return { eventId, eventType: event.event, ...outcome };
  });
}
