import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { changedFields, columnsOf, columnValues, givenFields } from '../field-changes.js';
import { isAllowed } from '../policy.js';
import type { TherapySessions } from '../../infra/db/schema.js';
import { locateClinicalRecord, requireClinicalAccess } from './access.js';
import { appointmentFor, ATTENDANCE, sessionNotesJson, sessionRating, showSessionNotes, TEXT_FIELDS } from './session-notes.js';

// Editing a session's notes: only the therapist who wrote them. The audit log keeps, for each field
// changed, what it was and what it became as states (attendance, rating) or lengths: never the text.

const editableText = z
  .string()
  .trim()
  .max(10_000, 'is longer than 10,000 characters')
  .nullable()
  .optional()
  .transform((value) => (value === '' ? null : value));

const noteFields = {
  objectives: editableText,
  activities: editableText,
  materials: editableText,
  observations: editableText,
  progressNotes: editableText,
  homework: editableText,
  nextPlan: editableText,
  attendance: z.enum(ATTENDANCE, { error: `must be one of ${ATTENDANCE.join(', ')}` }).optional(),
  patientResponse: editableText,
  /** Empty or null clears the rating. */
  rating: z.preprocess((value) => (value === '' ? null : value), sessionRating.nullable()).optional(),
};

const editInput = z.object({
  appointmentId: z.number().int().positive(),
  ...noteFields,
  /** When the notes were last changed as the editor read them: if they changed since, nothing is written. */
  unchangedSince: z.coerce.date().optional(),
});
export type EditSessionNotesInput = z.input<typeof editInput>;

const COLUMNS = columnsOf(noteFields) satisfies Record<string, keyof TherapySessions>;

type NoteField = keyof typeof COLUMNS;
type NoteRow = Record<(typeof COLUMNS)[NoteField], string | number | null>;

/** A field as the audit log may hold it: attendance and rating as they are, text by its length only. */
function auditValue(field: NoteField, row: NoteRow): unknown {
  const value = row[COLUMNS[field]];
  if (field === 'attendance' || field === 'rating') return value;
  return value === null ? null : { chars: String(value).length };
}

/** Whether the acting user may write a session's notes: its own therapist (or the system). */
export async function mayWriteSessionNotes(ctx: DomainContext, appointmentId: number): Promise<boolean> {
  if (!isAllowed(ctx.actor, 'clinical.write')) return false;
  const appointment = await appointmentFor(ctx, appointmentId);
  return ctx.actor.kind !== 'staff' || ctx.actor.therapistId === appointment.therapist_id;
}

/** The notes of an appointment, refused (and the refusal audited) unless the acting user wrote them. */
async function editableNotes(ctx: DomainContext, appointmentId: number) {
  const appointment = await appointmentFor(ctx, appointmentId);
  const notes = await locateClinicalRecord(ctx, 'therapy_session_of_appointment', appointment.id);
  if (!notes) {
    throw new NotFoundError(
      `${appointment.appointment_number} has no session notes yet; write them with \`roshni notes add ${appointment.appointment_number}\`.`,
    );
  }
  const target = { entity: 'therapy_session' as const, entityId: notes.id, patientId: appointment.patient_id };
  await requireClinicalAccess(ctx, 'write', target);
  if (ctx.actor.kind === 'staff' && ctx.actor.therapistId !== notes.therapist_id) {
    if (!ctx.db.isTransaction) await recordAudit(ctx, { action: 'clinical.write', ...target, outcome: 'denied' });
    throw new ForbiddenError(`Only the therapist who wrote the notes of ${appointment.appointment_number} may edit them.`);
  }
  return { appointment, notes, target };
}

/** The notes as they stand, for their author to edit (an audited read, like `notes show`). */
export async function sessionNotesForEditing(ctx: DomainContext, raw: { appointmentId: number }) {
  const { appointmentId } = parseInput(z.object({ appointmentId: z.number().int().positive() }), raw);
  await editableNotes(ctx, appointmentId);
  return showSessionNotes(ctx, { appointmentId });
}

/** Changes the fields given (null or '' clears a text field or the rating); the rest stay as written. */
export async function editSessionNotes(ctx: DomainContext, raw: EditSessionNotesInput) {
  const input = parseInput(editInput, raw);
  const { appointment, notes, target } = await editableNotes(ctx, input.appointmentId);
  return inTransaction(ctx, async (tx) => {
    const current = await tx.db.selectFrom('therapy_sessions').selectAll().where('id', '=', notes.id).forUpdate().executeTakeFirstOrThrow();
    if (input.unchangedSince && current.updated_at.getTime() !== input.unchangedSince.getTime()) {
      throw new ConflictError(`The notes of ${appointment.appointment_number} were changed while you edited them; nothing was saved. Edit them again.`);
    }
    const changed = changedFields(COLUMNS, givenFields(COLUMNS, input), input, current);
    if (!changed.length) return { ...sessionNotesJson(current), appointmentNumber: appointment.appointment_number, changed };
    const changes = columnValues(COLUMNS, changed, input);
    const next = { ...current, ...changes } as NoteRow;
    if (!TEXT_FIELDS.some((f) => next[COLUMNS[f]])) {
      throw new InvalidInputError('The notes would be empty: keep at least one of objectives, activities, observations, progress notes… .');
    }
    const row = await tx.db.updateTable('therapy_sessions').set(changes).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'clinical.notes_edit',
      ...target,
      before: Object.fromEntries(changed.map((f) => [f, auditValue(f, current as NoteRow)])),
      after: Object.fromEntries(changed.map((f) => [f, auditValue(f, row as NoteRow)])),
      meta: { appointmentId: appointment.id },
    });
    return { ...sessionNotesJson(row), appointmentNumber: appointment.appointment_number, changed };
  });
}
