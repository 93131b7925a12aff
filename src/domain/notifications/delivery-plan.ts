import type { ContactChannel, ContactLanguage } from '../../infra/db/schema.js';
import { RESCHEDULE_NOTES, type RescheduleReason } from '../scheduling/needs-reschedule.js';
import { clinicTime } from '../time.js';
import type { NotificationKind } from './enqueue.js';
import { quietUntil, type QuietHours } from './quiet-hours.js';
import type { TemplateContext } from './templates.js';

// What happens to a claimed message, decided in one place: send it (to whom, on which channels in
// which order), hold it (until when, and why), skip it or give up on it (and why, in the words staff
// see in `roshni notifications list`). The dispatcher only claims, asks, sends and records.
// Pure: the time is given, and everything known about the message comes in its facts, read once
// when it was claimed (src/domain/notifications/outbox-claims.ts). The content is settled later (delivery-content.ts).

/** Everything the plan needs to know about a claimed message and whom it is for. */
export interface DeliveryFacts {
  id: number;
  kind: NotificationKind;
  language: ContactLanguage;
  payload: Record<string, unknown>;
  appointment_id: number | null;
  /** The guardian who hears it, resolved once at claiming (a row naming only the patient included). */
  guardian_id: number | null;
  preferred_channel: ContactChannel | null;
  phone: string | null;
  email: string | null;
  telegram_chat_id: string | null;
  whatsapp_id: string | null;
  /** A sample person (roshni demo): their stored phone and email are not theirs, so they are left out. */
  sample: boolean;
  opted_out: boolean;
  appointment_live: boolean | null;
  appointment_starts_at: Date | null;
  /** Why the row's appointment needs rescheduling (a day off on its day), else null. */
  appointment_reschedule: RescheduleReason | null;
}

/** The clinic's settings a plan reads: its name and phone (for the text), time zone and quiet hours. */
export interface DeliverySettings extends TemplateContext {
  quiet: QuietHours | null;
}

/** The channels after the recipient's own preference, in the clinic's order. */
export const FALLBACK_ORDER: readonly ContactChannel[] = ['whatsapp', 'telegram', 'sms', 'email'];

/** Kinds sent even in quiet hours: answers to someone who just wrote, and alerts to the clinic's admins. */
const URGENT_KINDS: ReadonlySet<NotificationKind> = new Set(['staff_reply', 'admin_alert']);

/** A reminder that could only go out closer to its session than this is not worth sending. */
const USEFUL_REMINDER_LEAD_MS = 3_600_000;

export type SkipReason = 'opted_out' | 'not_upcoming' | 'needs_reschedule' | 'too_late' | 'sample_person' | 'nothing_to_reschedule';

/** What staff read for each skip (the row's last_error). A day off's note names its kind (RESCHEDULE_NOTES). */
export const SKIP_NOTES: Record<Exclude<SkipReason, 'needs_reschedule'>, string> = {
  opted_out: 'opted out of reminders',
  not_upcoming: 'appointment no longer upcoming',
  too_late: 'quiet hours: no useful time left before the appointment',
  sample_person: 'a sample person (roshni demo): sent only to a chat linked to the bot',
  nothing_to_reschedule: 'nothing left to reschedule (moved, cancelled, or the day off removed)',
};

export const UNREACHABLE_NOTE = 'no channel reaches this recipient';

export interface Route {
  channel: ContactChannel;
  address: string;
}

export type DeliveryDecision =
  | { action: 'send'; routes: Route[] }
  /** Not a try: the message waits, and its attempt is given back. */
  | { action: 'defer'; reason: 'quiet_hours'; until: Date; untilClinicTime: string }
  | { action: 'skip'; reason: SkipReason; note: string }
  | { action: 'fail'; reason: 'unreachable'; note: string };

const skip = (reason: Exclude<SkipReason, 'needs_reschedule'>): DeliveryDecision => ({ action: 'skip', reason, note: SKIP_NOTES[reason] });

/**
 * Whether, when and where a claimed message goes, at `now`, given the channels this process can send
 * on. The checks run in this order; the first that applies decides.
 */
export function decideDelivery(facts: DeliveryFacts, settings: DeliverySettings, now: Date, sendable: ReadonlySet<ContactChannel>): DeliveryDecision {
  if (facts.kind === 'reminder' && facts.opted_out) return skip('opted_out');
  if (facts.kind === 'reminder' && facts.appointment_live === false) return skip('not_upcoming');
  // The last check: a day off fell on the appointment since the reminder was written.
  if (facts.kind === 'reminder' && facts.appointment_reschedule) {
    return { action: 'skip', reason: 'needs_reschedule', note: RESCHEDULE_NOTES[facts.appointment_reschedule] };
  }
  // Quiet hours: a message falling in them waits for their end, unless it is urgent; a reminder that
  // would then come less than an hour before its session is skipped.
  const until = settings.quiet && !URGENT_KINDS.has(facts.kind) ? quietUntil(now, settings.quiet, settings.timezone) : null;
  if (until) {
    const startsAt = facts.kind === 'reminder' ? facts.appointment_starts_at : null;
    if (startsAt && until.getTime() > startsAt.getTime() - USEFUL_REMINDER_LEAD_MS) return skip('too_late');
    return { action: 'defer', reason: 'quiet_hours', until, untilClinicTime: clinicTime(until, settings.timezone) };
  }
  const routes = routesOf(facts, sendable);
  if (!routes.length) return facts.sample ? skip('sample_person') : { action: 'fail', reason: 'unreachable', note: UNREACHABLE_NOTE };
  return { action: 'send', routes };
}

/** The channels to try, in order: the recipient's preference, then the clinic's fallback order. */
function routesOf(facts: DeliveryFacts, sendable: ReadonlySet<ContactChannel>): Route[] {
  const addresses: Record<ContactChannel, string | null> = {
    telegram: facts.telegram_chat_id,
    whatsapp: facts.whatsapp_id ?? facts.phone,
    sms: facts.phone,
    email: facts.email,
  };
  const preferred = facts.preferred_channel;
  const order = preferred ? [preferred, ...FALLBACK_ORDER.filter((c) => c !== preferred)] : FALLBACK_ORDER;
  return order.filter((c) => sendable.has(c) && addresses[c]).map((channel) => ({ channel, address: addresses[channel]! }));
}

/** Replies a message offers are also left in the chat it went to (a typed "2" on WhatsApp); other channels send the text alone. */
export const offersRepliesInChat = (channel: ContactChannel): channel is 'telegram' | 'whatsapp' => channel === 'telegram' || channel === 'whatsapp';
