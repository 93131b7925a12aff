import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { requireActiveService, requireBookableSlot, translateBookingConflict } from './bookable-slot.js';

export const bookingChannel = z.enum(['cli', 'telegram', 'whatsapp', 'terminal_chat', 'waitlist', 'system']);

const bookInput = z.object({
  patientId: z.number().int().positive(),
  slotId: z.number().int().positive(),
  serviceId: z.number().int().positive(),
  via: bookingChannel.default('cli'),
  seriesId: z.number().int().positive().optional(),
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

/**
 * Books a patient into a slot. The database decides the race: the capacity trigger and the exclusion
 * constraints reject a second booking of a full slot or an overlapping time, whatever the code saw before.
 * Patients booking for themselves must respect the clinic's minimum notice; the front desk may book any future slot.
 */
export async function bookAppointment(ctx: DomainContext, raw: BookAppointmentInput): Promise<BookedAppointment> {
  authorize(ctx.actor, 'appointment.book');
  const input = parseInput(bookInput, raw);
  return inTransaction(ctx, async (tx) => {
    const [service, patient] = await Promise.all([
      requireActiveService(tx, input.serviceId),
      tx.db.selectFrom('patients').select(['id', 'erased_at']).where('id', '=', input.patientId).executeTakeFirst(),
    ]);
    if (!patient || patient.erased_at) throw new NotFoundError(`No patient with id ${input.patientId}.`);
    const slot = await requireBookableSlot(tx, input.slotId, service);
    if (tx.actor.kind === 'patient' || tx.actor.kind === 'guardian') {
      const { min_notice_minutes } = await requireClinicSettings(tx);
      if (slot.startsAt.getTime() - tx.clock.now().getTime() < min_notice_minutes * 60_000) {
        throw new InvalidInputError(`Appointments need at least ${min_notice_minutes / 60} hours' notice.`);
      }
    }
    const appointment = await tx.db
      .insertInto('appointments')
      .values({
        patient_id: patient.id,
        therapist_id: slot.therapistId,
        service_id: service.id,
        slot_id: slot.id,
        series_id: input.seriesId ?? null,
        starts_at: slot.startsAt,
        ends_at: new Date(slot.startsAt.getTime() + service.duration_minutes * 60_000),
        price_paise: service.price_paise,
        booked_via: input.via,
        booked_by_staff_id: staffUserIdOf(tx.actor),
        booked_by_guardian_id: tx.actor.kind === 'guardian' ? tx.actor.guardianId : null,
      })
      .returning(['id', 'appointment_number', 'starts_at', 'ends_at'])
      .executeTakeFirstOrThrow()
      .catch((error) => translateBookingConflict(error, slot));
    await recordAudit(tx, {
      action: 'appointment.book',
      entity: 'appointment',
      entityId: appointment.id,
      patientId: patient.id,
      after: { status: 'scheduled', slotId: slot.id, serviceId: service.id, via: input.via },
    });
    return {
      id: appointment.id,
      appointmentNumber: appointment.appointment_number,
      patientId: patient.id,
      therapistId: slot.therapistId,
      therapistName: slot.therapistName,
      serviceId: service.id,
      serviceName: service.name,
      slotId: slot.id,
      startsAt: appointment.starts_at,
      endsAt: appointment.ends_at,
      pricePaise: service.price_paise,
    };
  });
}
