import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { auditClinicalRead, locateClinicalRecord, requireClinicalAccess } from './access.js';

// Therapy session notes: one per appointment, written by the session's therapist.

export const noteText = z.string().trim().max(10_000, 'is longer than 10,000 characters').optional();

export const ATTENDANCE = ['present', 'late', 'left_early', 'absent'] as const;

export const sessionRating = z.coerce
  .number({ error: 'must be a whole number from 1 to 5' })
  .int('must be a whole number from 1 to 5')
  .min(1, 'must be from 1 to 5')
  .max(5, 'must be from 1 to 5');

export const sessionNoteFields = z.object({
  objectives: noteText,
  activities: noteText,
  materials: noteText,
  observations: noteText,
  progressNotes: noteText,
  homework: noteText,
  nextPlan: noteText,
  attendance: z.enum(ATTENDANCE, { error: `must be one of ${ATTENDANCE.join(', ')}` }).default('present'),
  patientResponse: noteText,
  rating: sessionRating.optional(),
});

export const TEXT_FIELDS = ['objectives', 'activities', 'materials', 'observations', 'progressNotes', 'homework', 'nextPlan', 'patientResponse'] as const;

const addInput = sessionNoteFields.extend({ appointmentId: z.number().int().positive() });
export type SessionNotesInput = z.input<typeof addInput>;

export async function appointmentFor(ctx: DomainContext, appointmentId: number) {
  const appointment = await ctx.db
    .selectFrom('appointments')
    .select(['id', 'appointment_number', 'patient_id', 'therapist_id', 'status', 'starts_at'])
    .where('id', '=', appointmentId)
    .executeTakeFirst();
  if (!appointment) throw new NotFoundError(`No appointment with id ${appointmentId}.`);
  return appointment;
}

const alreadyWritten = (appointmentNumber: string) =>
  new ConflictError(`${appointmentNumber} already has session notes; see them with \`roshni notes show ${appointmentNumber}\`.`);

/**
 * Refuses (a refusal of access audited) unless the acting user may write this session's notes now:
 * its own therapist, a session that took place, no notes yet. Asked before the notes are typed, so
 * that nobody writes notes that cannot be saved; asked again when they are.
 */
export async function requireNotesWritable(ctx: DomainContext, appointmentId: number) {
  const appointment = await appointmentFor(ctx, appointmentId);
  await requireClinicalAccess(ctx, 'write', { entity: 'therapy_session', patientId: appointment.patient_id });
  const { actor } = ctx;
  if (actor.kind === 'staff' && actor.therapistId !== appointment.therapist_id) {
    throw new ForbiddenError(`Only the session's own therapist writes the notes of ${appointment.appointment_number}.`);
  }
  if (appointment.status !== 'completed' && appointment.status !== 'in_progress') {
    throw new InvalidInputError(
      `Appointment ${appointment.appointment_number} is ${appointment.status.replace('_', ' ')}; notes are written for a session that took place.`,
    );
  }
  if (await hasSessionNotes(ctx, appointment.id)) throw alreadyWritten(appointment.appointment_number);
  return appointment;
}

/** Writes the notes of a session that has taken place (checked in or completed). */
export async function addSessionNotes(ctx: DomainContext, raw: SessionNotesInput) {
  const input = parseInput(addInput, raw);
  const appointment = await requireNotesWritable(ctx, input.appointmentId);
  if (!TEXT_FIELDS.some((f) => input[f])) {
    throw new InvalidInputError('The notes are empty: give at least one of objectives, activities, observations, progress notes… .');
  }
  return inTransaction(ctx, async (tx) => {
    const row = await tx.db
      .insertInto('therapy_sessions')
      .values({
        appointment_id: appointment.id,
        patient_id: appointment.patient_id,
        therapist_id: appointment.therapist_id,
        objectives: input.objectives ?? null,
        activities: input.activities ?? null,
        materials: input.materials ?? null,
        observations: input.observations ?? null,
        progress_notes: input.progressNotes ?? null,
        homework: input.homework ?? null,
        next_plan: input.nextPlan ?? null,
        attendance: input.attendance,
        patient_response: input.patientResponse ?? null,
        rating: input.rating ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          // Written by someone else since the check above.
          therapy_sessions_appointment_id_key: () => alreadyWritten(appointment.appointment_number),
        }),
      );
    await recordAudit(tx, {
      action: 'clinical.notes_add',
      entity: 'therapy_session',
      entityId: row.id,
      patientId: appointment.patient_id,
      // Which fields were filled, never what they say.
      after: { appointmentId: appointment.id, fields: TEXT_FIELDS.filter((f) => input[f]), attendance: input.attendance, rating: input.rating ?? null },
    });
    return { ...sessionNotesJson(row), appointmentNumber: appointment.appointment_number };
  });
}

export function sessionNotesJson(row: {
  id: number;
  appointment_id: number;
  patient_id: number;
  therapist_id: number;
  objectives: string | null;
  activities: string | null;
  materials: string | null;
  observations: string | null;
  progress_notes: string | null;
  homework: string | null;
  next_plan: string | null;
  attendance: string;
  patient_response: string | null;
  rating: number | null;
  created_at: Date;
  updated_at: Date;
}) {
  return {
    id: row.id,
    appointmentId: row.appointment_id,
    patientId: row.patient_id,
    therapistId: row.therapist_id,
    objectives: row.objectives,
    activities: row.activities,
    materials: row.materials,
    observations: row.observations,
    progressNotes: row.progress_notes,
    homework: row.homework,
    nextPlan: row.next_plan,
    attendance: row.attendance,
    patientResponse: row.patient_response,
    rating: row.rating,
    writtenAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One session's notes, with who and when; the read is audited. */
export async function showSessionNotes(ctx: DomainContext, raw: { appointmentId: number }) {
  const { appointmentId } = parseInput(z.object({ appointmentId: z.number().int().positive() }), raw);
  const appointment = await appointmentFor(ctx, appointmentId);
  await requireClinicalAccess(ctx, 'read', { entity: 'therapy_session', patientId: appointment.patient_id });
  return inTransaction(ctx, async (tx) => {
    const row = await tx.db
      .selectFrom('therapy_sessions as s')
      .innerJoin('appointments as a', 'a.id', 's.appointment_id')
      .innerJoin('patients as p', 'p.id', 's.patient_id')
      .innerJoin('therapists as t', 't.id', 's.therapist_id')
      .innerJoin('services as sv', 'sv.id', 'a.service_id')
      .selectAll('s')
      .select([
        'a.appointment_number',
        'a.starts_at',
        'p.full_name as patient_name',
        'p.patient_number',
        't.full_name as therapist_name',
        'sv.name as service_name',
      ])
      .where('s.appointment_id', '=', appointmentId)
      .executeTakeFirst();
    if (!row) {
      throw new NotFoundError(
        `${appointment.appointment_number} has no session notes yet; write them with \`roshni notes add ${appointment.appointment_number}\`.`,
      );
    }
    await auditClinicalRead(tx, { entity: 'therapy_session', entityId: row.id, patientId: row.patient_id });
    return {
      ...sessionNotesJson(row),
      appointmentNumber: row.appointment_number,
      startsAt: row.starts_at,
      patient: { id: row.patient_id, number: row.patient_number, name: row.patient_name },
      therapist: { id: row.therapist_id, name: row.therapist_name },
      service: row.service_name,
    };
  });
}

/** Whether a session's notes are written (for the hint after `roshni complete`). */
export async function hasSessionNotes(ctx: DomainContext, appointmentId: number): Promise<boolean> {
  const row = await locateClinicalRecord(ctx, 'therapy_session_of_appointment', appointmentId);
  return Boolean(row);
}

/**
 * Completed appointments still without notes, oldest first. A therapist sees their own list;
 * an admin (or the system) sees one therapist's or everyone's. No note text is read.
 */
export async function notesDue(ctx: DomainContext, raw: { therapistId?: number | undefined } = {}) {
  authorize(ctx.actor, 'clinical.read');
  const { actor } = ctx;
  let therapistId = raw.therapistId;
  if (actor.kind === 'staff' && actor.role === 'therapist') {
    if (actor.therapistId === null) throw new ForbiddenError('This staff user is not linked to a therapist.');
    if (therapistId !== undefined && therapistId !== actor.therapistId) {
      throw new ForbiddenError("A therapist sees only their own notes due, not another therapist's.");
    }
    therapistId = actor.therapistId;
  }
  // In the actor's transaction: the database shows a therapist only their own patients' notes.
  return inTransaction(ctx, (tx) =>
    tx.db
      .selectFrom('appointments as a')
      .innerJoin('patients as p', 'p.id', 'a.patient_id')
      .innerJoin('therapists as t', 't.id', 'a.therapist_id')
      .innerJoin('services as sv', 'sv.id', 'a.service_id')
      .leftJoin('therapy_sessions as s', 's.appointment_id', 'a.id')
      .select([
        'a.id',
        'a.appointment_number',
        'a.starts_at',
        'a.completed_at',
        'a.patient_id',
        'p.full_name as patient_name',
        'p.patient_number',
        'a.therapist_id',
        't.full_name as therapist_name',
        'sv.name as service_name',
      ])
      .where('a.status', '=', 'completed')
      .where('s.id', 'is', null)
      .$if(therapistId !== undefined, (qb) => qb.where('a.therapist_id', '=', therapistId!))
      .orderBy('a.starts_at')
      .execute(),
  );
}
