import type { DomainContext } from '../context.js';
import { ConflictError, NotFoundError, translateConstraintError } from '../errors.js';
import { formatFriendly } from '../time.js';

export interface BookableSlot {
  id: number;
  therapistId: number;
  therapistName: string;
  startsAt: Date;
  endsAt: Date;
  /** "Thu 26 Nov, 09:00 with Dr. Priya Sharma", for messages (built only when one is needed). */
  label(): string;
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

/** A slot as messages name it, for when a booking was refused before any check ran. */
export async function describeSlot(ctx: DomainContext, slotId: number): Promise<BookableSlot> {
  const slot = await ctx.db
    .selectFrom('appointment_slots as s')
    .innerJoin('therapists as t', 't.id', 's.therapist_id')
    .select(['s.id', 's.therapist_id', 's.starts_at', 's.ends_at', 't.full_name'])
    .where('s.id', '=', slotId)
    .executeTakeFirstOrThrow();
  return {
    id: slot.id,
    therapistId: slot.therapist_id,
    therapistName: slot.full_name,
    startsAt: slot.starts_at,
    endsAt: slot.ends_at,
    label: () => `${formatFriendly(slot.starts_at, ctx.timezone)} with ${slot.full_name}`,
  };
}

const BOOKING_CONSTRAINTS = ['appointment_slot_capacity', 'appointments_therapist_no_overlap', 'appointment_slot_open', 'appointments_patient_no_overlap'];

/** A refusal by one of the database's booking constraints (not some other failure). */
export function isConstraintRefusal(error: unknown): boolean {
  const constraint = (error as { constraint?: string } | undefined)?.constraint;
  return constraint !== undefined && BOOKING_CONSTRAINTS.includes(constraint);
}

/** The database's verdict on a booking or a move, as the desk and the patient should hear it. */
export function translateBookingConflict(error: unknown, slot: BookableSlot): never {
  const taken = () => new ConflictError(`The slot ${slot.label()} was just taken.`, { reason: 'slot_taken', slotId: slot.id });
  return translateConstraintError(error, {
    appointment_slot_capacity: taken,
    appointments_therapist_no_overlap: taken,
    appointment_slot_open: () => new ConflictError(`The slot ${slot.label()} is blocked.`, { reason: 'slot_blocked' }),
    appointments_patient_no_overlap: () => new ConflictError('The patient already has an appointment at that time.', { reason: 'patient_busy' }),
  });
}
