import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { attempt, inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, isDomainError, parseInput, type DomainErrorKind } from '../errors.js';
import { authorize } from '../policy.js';
import { addDays, clockTime, isoDate, isoWeekdayOf } from '../time.js';
import { enqueueForPatient } from '../notifications/appointment-messages.js';
import { bookAppointment, type BookedAppointment } from './book-appointment.js';
import { findSlotAtTime } from './slot-at.js';

const seriesInput = z.object({
  patientId: z.number().int().positive(),
  serviceId: z.number().int().positive(),
  therapistId: z.number().int().positive(),
  /** ISO weekdays, 1 = Monday. */
  weekdays: z.array(z.number().int().min(1).max(7)).min(1, 'must name at least one day'),
  time: clockTime,
  from: isoDate,
  weeks: z.number().int().min(1).max(52),
});
export type BookSeriesInput = z.input<typeof seriesInput>;

export interface SeriesResult {
  seriesId: number;
  booked: BookedAppointment[];
  /** The dates refused, each with the rule's reason (bookable-rule.ts) and what the desk is told. */
  notBooked: Array<{ date: string; reason: string; message: string }>;
}

const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "tue,thu" → [2, 4]. */
export function parseWeekdays(text: string): number[] {
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((day) => {
      const index = WEEKDAY_NAMES.indexOf(day.slice(0, 3).toLowerCase());
      if (index < 0) throw new InvalidInputError(`"${day}" is not a day of the week; write e.g. tue,thu.`);
      return index + 1;
    });
}

/**
 * Books a recurring series ("every Tuesday and Thursday at 16:00 for 8 weeks") in one transaction.
 * Each date is tried on its own, so a taken or missing slot is reported instead of failing the series.
 */
export async function bookSeries(ctx: DomainContext, raw: BookSeriesInput): Promise<SeriesResult> {
  authorize(ctx.actor, 'appointment.book');
  const input = parseInput(seriesInput, raw);
  return inTransaction(ctx, async (tx) => {
    const series = await tx.db
      .insertInto('appointment_series')
      .values({
        patient_id: input.patientId,
        therapist_id: input.therapistId,
        service_id: input.serviceId,
        rule: JSON.stringify({ weekdays: input.weekdays, time: input.time, from: input.from, weeks: input.weeks }),
        created_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const booked: BookedAppointment[] = [];
    const notBooked: Array<SeriesResult['notBooked'][number] & { kind: DomainErrorKind }> = [];
    for (let day = 0; day < input.weeks * 7; day++) {
      const date = addDays(input.from, day);
      if (!input.weekdays.includes(isoWeekdayOf(date))) continue;
      // Each date by the bookable-slot rule, its slot opened from the working hours if need be.
      const wanted = { serviceId: input.serviceId, therapistId: input.therapistId, patientId: input.patientId, date, time: input.time };
      const found = await findSlotAtTime(tx, wanted);
      if (found.refusal) {
        notBooked.push({ date, reason: found.refusal.reason, message: found.refusal.error.message, kind: found.refusal.error.kind });
        continue;
      }
      const result = await attempt(tx, () =>
        bookAppointment(tx, { patientId: input.patientId, serviceId: input.serviceId, slotId: found.slot.slotId, seriesId: series.id }),
      );
      if (result.ok) booked.push(result.value);
      else if (isDomainError(result.error))
        notBooked.push({ date, reason: String(result.error.details?.reason ?? result.error.kind), message: result.error.message, kind: result.error.kind });
      else throw result.error;
    }
    if (!booked.length) {
      // Refused for the same kind of reason throughout (every date in the past: invalid), or a conflict.
      const message = `None of the dates could be booked: ${notBooked.map((n) => `${n.date} (${n.message})`).join('; ')}.`;
      const invalid = notBooked.every((n) => n.kind === 'invalid');
      throw invalid ? new InvalidInputError(message, { reason: 'series_refused' }) : new ConflictError(message, { reason: 'series_refused' });
    }
    await recordAudit(tx, {
      action: 'appointment.book_series',
      entity: 'appointment_series',
      entityId: series.id,
      patientId: input.patientId,
      after: { booked: booked.length, notBooked: notBooked.length },
    });
    // One confirmation for the whole series (its appointments each carry their own reminders).
    const first = booked[0]!;
    await enqueueForPatient(tx, {
      patientId: input.patientId,
      kind: 'booking_confirmed',
      key: `booking_confirmed:series:${series.id}`,
      appointmentId: first.id,
      payload: {
        appointmentNumber: first.appointmentNumber,
        startsAt: first.startsAt.toISOString(),
        therapistName: first.therapistName,
        sessions: booked.length,
      },
    });
    return { seriesId: series.id, booked, notBooked: notBooked.map(({ kind: _kind, ...n }) => n) };
  });
}
