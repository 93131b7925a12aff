import { createHash } from 'node:crypto';
import { z } from 'zod';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError } from '../errors.js';
import { alertAdmins } from '../notifications/admin-alerts.js';
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
  /** stale: raised longer ago than Razorpay retries (a replay): recorded, not applied. */
  status: EventOutcome['status'] | 'duplicate' | 'stale';
  detail: string;
}

/**
 * Razorpay retries a delivery for 24 hours after the event was raised, then disables the webhook
 * (FIELD-NOTES §1): a genuine delivery is never older. An older one, however well signed, is a replay
 * (or a Dashboard re-send): recorded and answered 200, so it is not retried, and never applied.
 */
export const RAZORPAY_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

const envelope = z.object({
  event: z.string().min(1).max(100),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.number().int().positive(),
});

// Kept out of the stored payload: who paid, and how to reach them (ids, amounts, notes and bank references stay).
const PERSONAL_KEYS = new Set([
  'email',
  'contact',
  'name',
  'vpa',
  'customer',
  'customer_details',
  'card',
  'bank_account',
  'billing_address',
  'shipping_address',
]);

function withoutPersonalDetails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPersonalDetails);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, PERSONAL_KEYS.has(key) && v !== null ? '[removed]' : withoutPersonalDetails(v)]));
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

/**
 * What the signed body is about: the event and its entity's id (the payment's, else the refund's, the
 * link's or the order's). Applied once per key whatever X-Razorpay-Event-Id (not signed) says.
 */
export function payloadKeyOf(type: string, payload: Record<string, unknown>): string | null {
  for (const name of ['payment', 'refund', 'payment_link', 'order']) {
    const id = (payload[name] as { entity?: { id?: unknown } } | undefined)?.entity?.id;
    if (typeof id === 'string' && id.length > 0 && id.length <= 100) return `${type}:${id}`;
  }
  return null;
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
 * an InvalidInputError and changes nothing. The event is recorded first; if it was already received
 * (the unique provider + event id, or provider + the signed body's event and entity id, decides, even
 * for two deliveries at the same moment) nothing else happens. An event raised longer ago than
 * Razorpay's retry window is recorded and not applied. Otherwise it is applied in the same
 * transaction. Unknown events are recorded, not errors. What a person must look at (an amount or a
 * currency other than asked, a stale event) is told to every admin.
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
  const payloadKey = payloadKeyOf(event.event, event.payload);
  const raisedAt = new Date(event.created_at * 1000);
  return inTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const recorded = await tx.db
      .insertInto('webhook_events')
      .values({
        provider: 'razorpay',
        event_id: eventId,
        event_type: event.event,
        payload_key: payloadKey,
        payload: JSON.stringify(withoutPersonalDetails(event.json)),
        received_at: now,
      })
      // Either unique key: the header's event id, or the signed body's event and entity.
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!recorded) return { eventId, eventType: event.event, status: 'duplicate', detail: 'already received' };
    const outcome: { status: WebhookResult['status']; detail: string } =
      now.getTime() - raisedAt.getTime() > RAZORPAY_RETRY_WINDOW_MS
        ? { status: 'stale', detail: `raised at ${raisedAt.toISOString()}, more than 24 h ago (longer than Razorpay retries): not applied` }
        : await applyRazorpayEvent(tx, event.event, event.payload, raisedAt);
    await tx.db
      .updateTable('webhook_events')
      .set({ processed_at: now, outcome: `${outcome.status}: ${outcome.detail}` })
      .where('id', '=', recorded.id)
      .execute();
    if (outcome.status === 'attention' || outcome.status === 'stale') {
      await alertAdmins(
        tx,
        `razorpay-webhook:${recorded.id}`,
        {
          about: 'payment',
          text: `A Razorpay ${event.event} event was not applied: ${outcome.detail}. Nothing was changed: check it on the Razorpay Dashboard.`,
        },
        now,
      );
    }
    return { eventId, eventType: event.event, ...outcome };
  });
}
