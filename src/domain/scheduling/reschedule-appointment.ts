import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { authorizeAppointmentChange, lockAppointment } from './appointment-lifecycle.js';
import { describeSlot, requireActiveService, translateBookingConflict } from './bookable-slot.js';
import { minNoticeApplies, type Asker } from './bookable-rule.js';
import { slotRefusal } from './booking-refusal.js';
import { noticeAppointmentRescheduled } from '../notifications/appointment-messages.js';
import { offerFreedSlot, type WaitlistOffer } from './waitlist-offers.js';

const rescheduleInput = z.object({
  appointmentId: z.number().int().positive(),
  slotId: z.number().int().positive(),
  /** Staff moving it inside the clinic's minimum notice on purpose. */
  shortNotice: z.boolean().default(false),
});

export interface RescheduledAppointment {
  appointmentNumber: string;
  therapistName: string;
  startsAt: Date;
  endsAt: Date;
  waitlistOffer: WaitlistOffer | null;
}

/**
 * Moves an appointment to another slot in place (same number, same payments). One statement moves
 * it, so the old place frees only if the new one is taken; if the database refuses, nothing changes.
 * A confirmation was for the old time, so the appointment goes back to scheduled.
 */
export async function rescheduleAppointment(ctx: DomainContext, raw: z.input<typeof rescheduleInput>): Promise<RescheduledAppointment> {
  authorizeAppointmentChange(ctx);
  const input = parseInput(rescheduleInput, raw);
  return inTransaction(ctx, async (tx) => {
    const appointment = await lockAppointment(tx, input.appointmentId);
    if (appointment.status !== 'scheduled' && appointment.status !== 'confirmed') {
      throw new InvalidInputError(`Cannot reschedule appointment ${appointment.appointment_number}: it is ${appointment.status.replace('_', ' ')}.`);
    }
    if (appointment.starts_at <= tx.clock.now()) {
      throw new InvalidInputError(`Appointment ${appointment.appointment_number} has already begun.`);
    }
    if (appointment.slot_id === input.slotId) {
      throw new InvalidInputError(`Appointment ${appointment.appointment_number} is already in that slot.`);
    }
    // The bookable-slot rule, as for a booking: the family's minimum notice too, and the patient's own
    // appointments (this one excepted).
    const asker: Asker = {
      applyMinNotice: minNoticeApplies(tx.actor, input.shortNotice),
      patientId: appointment.patient_id,
      movingAppointmentId: appointment.id,
    };
    const refusal = await slotRefusal(tx, { slotId: input.slotId, serviceId: appointment.service_id }, asker);
    if (refusal) throw refusal.error;
    const slot = await describeSlot(tx, input.slotId);
    const service = { durationMinutes: (await requireActiveService(tx, appointment.service_id)).duration_minutes };
    await tx.db
      .updateTable('appointments')
      .set({
        slot_id: slot.id,
        therapist_id: slot.therapistId,
        starts_at: slot.startsAt,
        ends_at: new Date(slot.startsAt.getTime() + service.durationMinutes * 60_000),
        status: 'scheduled',
        confirmed_at: null,
      })
      .where('id', '=', appointment.id)
      .execute()
      .catch((error) => translateBookingConflict(error, slot));
    await recordAudit(tx, {
      action: 'appointment.reschedule',
      entity: 'appointment',
      entityId: appointment.id,
      patientId: appointment.patient_id,
      before: { slotId: appointment.slot_id, startsAt: appointment.starts_at.toISOString(), status: appointment.status },
      after: { slotId: slot.id, startsAt: slot.startsAt.toISOString(), status: 'scheduled' },
    });
    await noticeAppointmentRescheduled(tx, appointment.id, appointment.starts_at);
    const waitlistOffer = appointment.slot_id ? await offerFreedSlot(tx, appointment.slot_id) : null;
    return {
      appointmentNumber: appointment.appointment_number,
      therapistName: slot.therapistName,
      startsAt: slot.startsAt,
      endsAt: new Date(slot.startsAt.getTime() + service.durationMinutes * 60_000),
      waitlistOffer,
    };
  });
}
