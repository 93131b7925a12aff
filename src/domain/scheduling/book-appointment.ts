import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { clinicTime } from '../time.js';

const bookInput = z.object({
  patientId: z.number().int().positive(),
  slotId: z.number().int().positive(),
  serviceId: z.number().int().positive(),
  via: z.enum(['cli', 'telegram', 'whatsapp', 'terminal_chat', 'waitlist', 'system']).default('cli'),
});
export type BookAppointmentInput = z.input<typeof bookInput>;

export interface BookedAppointment {
  id: number;
  appointmentNumber: string;
  patientId: number;
  therapistId: number;
  serviceId: number;
  slotId: number;
  startsAt: Date;
  endsAt: Date;
  pricePaise: number;
}

/**
 * Books a patient into a slot. The database decides the race: the capacity trigger and the exclusion
 * constraints reject a second booking of a full slot or an overlapping time, whatever the code saw before.
 */
export async function bookAppointment(ctx: DomainContext, raw: BookAppointmentInput): Promise<BookedAppointment> {
  authorize(ctx.actor, 'appointment.book');
  const input = parseInput(bookInput, raw);
  return inTransaction(ctx, async (tx) => {
    const slot = await tx.db
      .selectFrom('appointment_slots as s')
      .innerJoin('therapists as t', 't.id', 's.therapist_id')
      .select(['s.id', 's.therapist_id', 's.service_id', 's.starts_at', 's.ends_at', 's.status', 't.full_name as therapist_name', 't.active'])
      .where('s.id', '=', input.slotId)
      .executeTakeFirst();
    if (!slot) throw new NotFoundError(`No slot with id ${input.slotId}.`);
    const [service, patient] = await Promise.all([
      tx.db.selectFrom('services').selectAll().where('id', '=', input.serviceId).executeTakeFirst(),
      tx.db.selectFrom('patients').select(['id', 'erased_at']).where('id', '=', input.patientId).executeTakeFirst(),
    ]);
    if (!service || !service.active) throw new NotFoundError(`No active service with id ${input.serviceId}.`);
    if (!patient || patient.erased_at) throw new NotFoundError(`No patient with id ${input.patientId}.`);

    const when = `${clinicTime(slot.starts_at, tx.timezone)} with ${slot.therapist_name}`;
    if (slot.starts_at <= tx.clock.now()) throw new InvalidInputError(`The slot ${when} is in the past.`);
    if (!slot.active) throw new ConflictError(`${slot.therapist_name} is no longer taking appointments.`);
    if (slot.status === 'blocked') throw new ConflictError(`The slot ${when} is blocked.`);
    if (slot.service_id !== null && slot.service_id !== service.id) {
      throw new InvalidInputError(`The slot ${when} is reserved for another service.`);
    }
    const slotMinutes = (slot.ends_at.getTime() - slot.starts_at.getTime()) / 60_000;
    if (service.duration_minutes > slotMinutes) {
      throw new InvalidInputError(`${service.name} takes ${service.duration_minutes} minutes; the slot ${when} has ${slotMinutes}.`);
    }
    if (service.specialization_code) {
      const qualified = await tx.db
        .selectFrom('therapist_specializations')
        .select('therapist_id')
        .where('therapist_id', '=', slot.therapist_id)
        .where('specialization_code', '=', service.specialization_code)
        .executeTakeFirst();
      if (!qualified) throw new InvalidInputError(`${slot.therapist_name} does not offer ${service.name}.`);
    }

    const appointment = await tx.db
      .insertInto('appointments')
      .values({
        patient_id: patient.id,
        therapist_id: slot.therapist_id,
        service_id: service.id,
        slot_id: slot.id,
        starts_at: slot.starts_at,
        ends_at: new Date(slot.starts_at.getTime() + service.duration_minutes * 60_000),
        price_paise: service.price_paise,
        booked_via: input.via,
        booked_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returning(['id', 'appointment_number', 'starts_at', 'ends_at'])
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          appointment_slot_capacity: () => new ConflictError(`The slot ${when} was just taken.`, { reason: 'slot_taken' }),
          appointments_therapist_no_overlap: () =>
            new ConflictError(`The slot ${when} was just taken.`, { reason: 'slot_taken' }),
          appointment_slot_open: () => new ConflictError(`The slot ${when} is blocked.`),
          appointments_patient_no_overlap: () =>
            new ConflictError('The patient already has an appointment at that time.', { reason: 'patient_busy' }),
        }),
      );
    await recordAudit(tx, {
      action: 'appointment.book',
      entity: 'appointment',
      entityId: appointment.id,
      patientId: patient.id,
      after: { status: 'scheduled', slotId: slot.id, serviceId: service.id },
    });
    return {
      id: appointment.id,
      appointmentNumber: appointment.appointment_number,
      patientId: patient.id,
      therapistId: slot.therapist_id,
      serviceId: service.id,
      slotId: slot.id,
      startsAt: appointment.starts_at,
      endsAt: appointment.ends_at,
      pricePaise: service.price_paise,
    };
  });
}
