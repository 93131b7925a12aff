import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, translateConstraintError } from '../errors.js';
import { clinicTime, formatFriendly } from '../time.js';

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

interface BookingFacts {
  slot_id: number | null;
  therapist_id: number;
  slot_service_id: number | null;
  starts_at: Date;
  ends_at: Date;
  slot_status: 'open' | 'blocked';
  therapist_name: string;
  therapist_active: boolean;
  qualified: boolean;
  service_id: number | null;
  service_name: string;
  duration_minutes: number;
  price_paise: number;
  service_active: boolean;
  patient_found: boolean;
}

/** Everything a booking check needs, in one round trip: the slot, its therapist, the service, the patient. */
async function loadBookingFacts(ctx: DomainContext, slotId: number, serviceId: number, patientId: number | null) {
  const { rows } = await sql<BookingFacts>`
    SELECT s.id AS slot_id, s.therapist_id, s.service_id AS slot_service_id, s.starts_at, s.ends_at,
           s.status AS slot_status, t.full_name AS therapist_name, t.active AS therapist_active,
           sv.id AS service_id, sv.name AS service_name, sv.duration_minutes, sv.price_paise, sv.active AS service_active,
           (sv.specialization_code IS NULL OR EXISTS (
             SELECT 1 FROM therapist_specializations ts
             WHERE ts.therapist_id = s.therapist_id AND ts.specialization_code = sv.specialization_code)) AS qualified,
           (${patientId}::integer IS NULL OR EXISTS (
             SELECT 1 FROM patients p WHERE p.id = ${patientId}::integer AND p.erased_at IS NULL)) AS patient_found
    FROM appointment_slots s
    JOIN therapists t ON t.id = s.therapist_id
    LEFT JOIN services sv ON sv.id = ${serviceId}
    WHERE s.id = ${slotId}`.execute(ctx.db);
  return rows[0];
}

export interface BookingCheck {
  slot: BookableSlot;
  service: { id: number; name: string; durationMinutes: number; pricePaise: number };
}

/**
 * The checks a booking (or a move) of `patientId` into `slotId` for a service must pass before the
 * database has its say: all exist, the slot is open, in the future, long enough, for this service,
 * with a therapist who offers it.
 */
export async function checkBookable(
  ctx: DomainContext,
  input: { slotId: number; serviceId: number; patientId: number | null },
): Promise<BookingCheck> {
  const facts = await loadBookingFacts(ctx, input.slotId, input.serviceId, input.patientId);
  if (!facts) throw new NotFoundError(`No slot with id ${input.slotId}.`);
  if (facts.service_id === null || !facts.service_active) throw new NotFoundError(`No active service with id ${input.serviceId}.`);
  if (!facts.patient_found) throw new NotFoundError(`No patient with id ${input.patientId}.`);
  const label = () => `${formatFriendly(facts.starts_at, ctx.timezone)} with ${facts.therapist_name}`;
  const when = () => `${clinicTime(facts.starts_at, ctx.timezone)} with ${facts.therapist_name}`;
  if (facts.starts_at <= ctx.clock.now()) throw new InvalidInputError(`The slot ${label()} is in the past.`);
  if (!facts.therapist_active) throw new ConflictError(`${facts.therapist_name} is no longer taking appointments.`);
  if (facts.slot_status === 'blocked') throw new ConflictError(`The slot ${when()} is blocked.`);
  if (facts.slot_service_id !== null && facts.slot_service_id !== facts.service_id) {
    throw new InvalidInputError(`The slot ${label()} is reserved for another service.`);
  }
  const slotMinutes = (facts.ends_at.getTime() - facts.starts_at.getTime()) / 60_000;
  if (facts.duration_minutes > slotMinutes) {
    throw new InvalidInputError(`${facts.service_name} takes ${facts.duration_minutes} minutes; the slot ${when()} has ${slotMinutes}.`);
  }
  if (!facts.qualified) throw new InvalidInputError(`${facts.therapist_name} does not offer ${facts.service_name}.`);
  return {
    slot: {
      id: input.slotId,
      therapistId: facts.therapist_id,
      therapistName: facts.therapist_name,
      startsAt: facts.starts_at,
      endsAt: facts.ends_at,
      label,
    },
    service: { id: facts.service_id, name: facts.service_name, durationMinutes: facts.duration_minutes, pricePaise: facts.price_paise },
  };
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

/** The database's verdict on a booking or a move, as the desk and the patient should hear it. */
export function translateBookingConflict(error: unknown, slot: BookableSlot): never {
  const taken = () => new ConflictError(`The slot ${slot.label()} was just taken.`, { reason: 'slot_taken', slotId: slot.id });
  return translateConstraintError(error, {
    appointment_slot_capacity: taken,
    appointments_therapist_no_overlap: taken,
    appointment_slot_open: () => new ConflictError(`The slot ${slot.label()} is blocked.`, { reason: 'slot_blocked' }),
    appointments_patient_no_overlap: () =>
      new ConflictError('The patient already has an appointment at that time.', { reason: 'patient_busy' }),
  });
}
