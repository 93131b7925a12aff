import type { DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, translateConstraintError } from '../errors.js';
import { clinicTime, formatFriendly } from '../time.js';

export interface BookableSlot {
  id: number;
  therapistId: number;
  therapistName: string;
  startsAt: Date;
  endsAt: Date;
  /** "Thu 26 Nov, 09:00 with Dr. Priya Sharma", for messages. */
  label: string;
}

export interface ServiceForBooking {
  id: number;
  name: string;
  duration_minutes: number;
  price_paise: number;
  max_participants: number;
  specialization_code: string | null;
  active: boolean;
}

export async function requireActiveService(ctx: DomainContext, serviceId: number): Promise<ServiceForBooking> {
  const service = await ctx.db.selectFrom('services').selectAll().where('id', '=', serviceId).executeTakeFirst();
  if (!service || !service.active) throw new NotFoundError(`No active service with id ${serviceId}.`);
  return service;
}

/**
 * The checks a booking into `slotId` for `service` must pass before the database has its say:
 * the slot exists, is open, in the future, long enough, for this service, with a therapist who offers it.
 */
export async function requireBookableSlot(ctx: DomainContext, slotId: number, service: ServiceForBooking): Promise<BookableSlot> {
  const slot = await ctx.db
    .selectFrom('appointment_slots as s')
    .innerJoin('therapists as t', 't.id', 's.therapist_id')
    .select(['s.id', 's.therapist_id', 's.service_id', 's.starts_at', 's.ends_at', 's.status', 't.full_name', 't.active'])
    .where('s.id', '=', slotId)
    .executeTakeFirst();
  if (!slot) throw new NotFoundError(`No slot with id ${slotId}.`);
  const label = `${formatFriendly(slot.starts_at, ctx.timezone)} with ${slot.full_name}`;
  const when = `${clinicTime(slot.starts_at, ctx.timezone)} with ${slot.full_name}`;
  if (slot.starts_at <= ctx.clock.now()) throw new InvalidInputError(`The slot ${label} is in the past.`);
  if (!slot.active) throw new ConflictError(`${slot.full_name} is no longer taking appointments.`);
  if (slot.status === 'blocked') throw new ConflictError(`The slot ${when} is blocked.`);
  if (slot.service_id !== null && slot.service_id !== service.id) {
    throw new InvalidInputError(`The slot ${label} is reserved for another service.`);
  }
  const slotMinutes = (slot.ends_at.getTime() - slot.starts_at.getTime()) / 60_000;
  if (service.duration_minutes > slotMinutes) {
    throw new InvalidInputError(`${service.name} takes ${service.duration_minutes} minutes; the slot ${when} has ${slotMinutes}.`);
  }
  if (service.specialization_code) {
    const qualified = await ctx.db
      .selectFrom('therapist_specializations')
      .select('therapist_id')
      .where('therapist_id', '=', slot.therapist_id)
      .where('specialization_code', '=', service.specialization_code)
      .executeTakeFirst();
    if (!qualified) throw new InvalidInputError(`${slot.full_name} does not offer ${service.name}.`);
  }
  return { id: slot.id, therapistId: slot.therapist_id, therapistName: slot.full_name, startsAt: slot.starts_at, endsAt: slot.ends_at, label };
}

/** The database's verdict on a booking or a move, as the desk and the patient should hear it. */
export function translateBookingConflict(error: unknown, slot: BookableSlot): never {
  const taken = () => new ConflictError(`The slot ${slot.label} was just taken.`, { reason: 'slot_taken', slotId: slot.id });
  return translateConstraintError(error, {
    appointment_slot_capacity: taken,
    appointments_therapist_no_overlap: taken,
    appointment_slot_open: () => new ConflictError(`The slot ${slot.label} is blocked.`, { reason: 'slot_blocked' }),
    appointments_patient_no_overlap: () =>
      new ConflictError('The patient already has an appointment at that time.', { reason: 'patient_busy' }),
  });
}
