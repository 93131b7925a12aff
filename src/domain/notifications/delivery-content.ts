import type { Kysely } from 'kysely';
import type { ContactChannel, DB } from '../../infra/db/schema.js';
import type { MessageAction } from './actions.js';
import { decideDelivery, SKIP_NOTES, type DeliveryDecision, type DeliveryFacts, type DeliverySettings } from './delivery-plan.js';
import { sessionsOfReminder } from './reminder-sessions.js';
import { sessionsStillToReschedule } from './reschedule-offers.js';
import { renderMessage, type RenderedMessage, type ReminderSession } from './templates.js';

// The delivery plan with its content: a message to send says what is true when it is sent (a
// reminder lists the sessions it covers now; a day off's message those still to reschedule, and is
// skipped when none is left), and offers the replies that go with it.

export type DeliveryPlan =
  | (Extract<DeliveryDecision, { action: 'send' }> & {
      message: RenderedMessage;
      /** The replies the message offers (Confirm / Cancel / Reschedule, Yes / No), also kept in the chat it reaches. */
      actions: MessageAction[];
    })
  | Exclude<DeliveryDecision, { action: 'send' }>;

/** The clinic's settings every plan of a batch reads (one query per batch). */
export async function deliverySettings(db: Kysely<DB>, fallbackTimezone: string): Promise<DeliverySettings> {
  const settings = await db.selectFrom('clinic_settings').select(['name', 'phone', 'timezone', 'quiet_hours_start', 'quiet_hours_end']).executeTakeFirst();
  return {
    clinicName: settings?.name ?? 'The clinic',
    clinicPhone: settings?.phone ?? null,
    timezone: settings?.timezone ?? fallbackTimezone,
    quiet: settings ? { start: String(settings.quiet_hours_start), end: String(settings.quiet_hours_end) } : null,
  };
}

/** The plan for one claimed message at `now`: decideDelivery(), then, for a message to send, its content. */
export async function planDelivery(
  db: Kysely<DB>,
  facts: DeliveryFacts,
  settings: DeliverySettings,
  now: Date,
  sendable: ReadonlySet<ContactChannel>,
): Promise<DeliveryPlan> {
  const decision = decideDelivery(facts, settings, now, sendable);
  if (decision.action !== 'send') return decision;
  const payload = await payloadAtSending(db, facts, settings.timezone, now);
  if (!payload) return { action: 'skip', reason: 'nothing_to_reschedule', note: SKIP_NOTES.nothing_to_reschedule };
  const message = renderMessage(facts.kind, facts.language, payload, settings);
  return { ...decision, message, actions: message.actions };
}

/** The payload as things stand at sending (null: a reschedule message with nothing left to reschedule). */
async function payloadAtSending(db: Kysely<DB>, facts: DeliveryFacts, timezone: string, now: Date): Promise<Record<string, unknown> | null> {
  if (facts.kind === 'reminder' && facts.appointment_id) {
    return { ...facts.payload, sessions: await sessionsOfReminder(db, { appointmentId: facts.appointment_id, guardianId: facts.guardian_id }, timezone) };
  }
  if (facts.kind === 'reschedule_needed') {
    const named = Array.isArray(facts.payload.sessions) ? (facts.payload.sessions as ReminderSession[]) : [];
    const sessions = await sessionsStillToReschedule(db, named, timezone, now);
    return sessions.length ? { ...facts.payload, sessions } : null;
  }
  return facts.payload;
}
