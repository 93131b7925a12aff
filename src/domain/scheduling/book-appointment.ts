import { sql } from 'kysely';
import { z } from 'zod';
import { auditRow } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { attempt, type Attempt, type DomainContext } from '../context.js';
import { ConflictError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { requireInCare } from '../people/in-care.js';
import { describeSlot, isConstraintRefusal, translateBookingConflict } from './bookable-slot.js';
import { allOf, minNoticeApplies, slotPredicates, type Asker } from './bookable-rule.js';
import { slotRefusal } from './booking-refusal.js';
import { confirmationInsert } from '../notifications/appointment-messages.js';
import { preparedOnce } from '../../infra/db/prepared-statements.js';

export const bookingChannel = z.enum(['cli', 'telegram', 'whatsapp', 'terminal_chat', 'waitlist', 'system']);

const bookInput = z.object({
  patientId: z.number().int().positive(),
  slotId: z.number().int().positive(),
  serviceId: z.number().int().positive(),
  via: bookingChannel.default('cli'),
  seriesId: z.number().int().positive().optional(),
  /** Staff booking inside the clinic's minimum notice on purpose (a family's own booking never is). */
  shortNotice: z.boolean().default(false),
});
export type BookAppointmentInput = z.input<typeof bookInput>;

export interface BookedAppointment {
  id: number;
  appointmentNumber: string;
  patientId: number;
  therapistId: number;
  therapistName: string;
  serviceId: number;
  serviceName: string;
  slotId: number;
  startsAt: Date;
  endsAt: Date;
  pricePaise: number;
}

interface InsertedRow {
  id: number;
  appointment_number: string;
  therapist_id: number;
  therapist_name: string;
  service_id: number;
  service_name: string;
  starts_at: Date;
  ends_at: Date;
  price_paise: number;
}

/**
 * Books a patient into a slot in one statement: the checks (slot open, in the future, long enough, for
 * this service, a therapist who offers it, an existing patient, the notice a patient must give), the
 * appointment and its audit entry. The database decides the race: the capacity trigger and the exclusion
 * constraints reject a second booking of a full slot or an overlapping time. Only when nothing was
 * booked are the checks run one by one, to say exactly why.
 */
export async function bookAppointment(ctx: DomainContext, raw: BookAppointmentInput): Promise<BookedAppointment> {
  const bookingForSelf = ctx.actor.kind === 'patient' || ctx.actor.kind === 'guardian';
  if (!bookingForSelf) authorize(ctx.actor, 'appointment.book');
  const input = parseInput(bookInput, raw);
  // A patient books for themselves, a guardian for their own children (anyone else is "not found").
  if (bookingForSelf) await requireInCare(ctx, input.patientId);
  const asker: Asker = { applyMinNotice: minNoticeApplies(ctx.actor, input.shortNotice), patientId: input.patientId };
  const audit = auditRow(ctx, { action: 'appointment.book', entity: 'appointment', patientId: input.patientId });
  const now = ctx.clock.now();
  // The outbox is written by the same statement: the confirmation (one per series, written by
  // bookSeries) exists exactly when the appointment does. Reminders are written by the reminder
  // job (every minute) as their time approaches; keeping them out of this statement keeps booking fast.
  const bookedSource = sql`(SELECT b.id AS appointment_id, b.patient_id, b.starts_at, b.appointment_number,
    (SELECT full_name FROM therapists WHERE id = b.therapist_id) AS therapist_name FROM booked b)`;
  // Prepared once per connection: its text is the same for every booking of one kind, and planning it
  // cost more than running it.
  const insert = () =>
    preparedOnce(sql<InsertedRow>`
    WITH booked AS (
      INSERT INTO appointments (patient_id, therapist_id, service_id, slot_id, series_id, starts_at, ends_at,
                                price_paise, booked_via, booked_by_staff_id, booked_by_guardian_id)
      SELECT p.id, s.therapist_id, sv.id, s.id, ${input.seriesId ?? null}::integer, s.starts_at,
             s.starts_at + make_interval(mins => sv.duration_minutes), sv.price_paise, ${input.via}::booking_channel,
             ${staffUserIdOf(ctx.actor)}::integer, ${ctx.actor.kind === 'guardian' ? ctx.actor.guardianId : null}::integer
      FROM appointment_slots s
      JOIN therapists t ON t.id = s.therapist_id
      JOIN services sv ON sv.id = ${input.serviceId} AND sv.active
      JOIN patients p ON p.id = ${input.patientId} AND p.erased_at IS NULL
      -- The bookable-slot rule (bookable-rule.ts); a full slot and the patient's own clash are the
      -- database's to refuse (capacity trigger, exclusion constraint), which also decides a race; a day
      -- off is the slot's status here (adding one blocks its slots under the calendar lock, days-off.ts),
      -- asking the day-off tables again cost a tenth of the booking rate. The explanation asks all.
      WHERE s.id = ${input.slotId} AND ${allOf(slotPredicates(now, asker, ctx.timezone), ['patient_clash', 'full', 'holiday', 'leave'])}
      -- Holds the therapist as active until this booking commits: a deactivation waits, then sees it.
      FOR SHARE OF t
      RETURNING id, appointment_number, patient_id, therapist_id, service_id, starts_at, ends_at, price_paise
    ), confirmed AS (
      ${input.seriesId ? sql`SELECT 1` : confirmationInsert(ctx, bookedSource)}
    ), audited AS (
      INSERT INTO audit_log (actor_kind, actor_id, actor_role, at, action, entity, entity_id, patient_id, after, meta)
      SELECT ${audit.actor_kind}, ${audit.actor_id}::integer, ${audit.actor_role}, ${now}::timestamptz,
             ${audit.action}, ${audit.entity}, b.id::text, ${input.patientId}::integer,
             jsonb_build_object('status', 'scheduled', 'slotId', ${input.slotId}::integer, 'serviceId', b.service_id,
                                'via', ${input.via}::text), ${audit.meta}::jsonb
      FROM booked b
    )
    SELECT b.*, t.full_name AS therapist_name, sv.name AS service_name
    FROM booked b JOIN therapists t ON t.id = b.therapist_id JOIN services sv ON sv.id = b.service_id`).execute(ctx.db);
  // Inside a caller's transaction, a refused insert must not abort it: a savepoint keeps it usable.
  const result: Attempt<Awaited<ReturnType<typeof insert>>> = ctx.db.isTransaction
    ? await attempt(ctx, insert)
    : await insert().then(
        (value) => ({ ok: true, value }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      );
  if (!result.ok) return refuseAfterConflict(ctx, result.error, input, asker);
  const row = result.value.rows[0];
  if (!row) return explainRefusal(ctx, input, asker);
  return {
    id: row.id,
    appointmentNumber: row.appointment_number,
    patientId: input.patientId,
    therapistId: row.therapist_id,
    therapistName: row.therapist_name,
    serviceId: row.service_id,
    serviceName: row.service_name,
    slotId: input.slotId,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    pricePaise: row.price_paise,
  };
}

/** Nothing was booked: say which part of the rule refused. */
async function explainRefusal(ctx: DomainContext, input: z.infer<typeof bookInput>, asker: Asker): Promise<never> {
  const refusal = await slotRefusal(ctx, input, asker);
  if (refusal) throw refusal.error;
  // The slot changed between the booking and the explanation (blocked, or its therapist deactivated).
  const slot = await describeSlot(ctx, input.slotId);
  throw new ConflictError(`The slot ${slot.label()} is no longer available.`, { reason: 'slot_taken', slotId: slot.id });
}

/** The database refused (a full slot, the patient's own clash): said as the rule says it, or as a race lost. */
async function refuseAfterConflict(ctx: DomainContext, error: unknown, input: z.infer<typeof bookInput>, asker: Asker): Promise<never> {
  if (isConstraintRefusal(error)) {
    const refusal = await slotRefusal(ctx, input, asker);
    if (refusal) throw refusal.error;
  }
  return translateBookingConflict(error, await describeSlot(ctx, input.slotId));
}
