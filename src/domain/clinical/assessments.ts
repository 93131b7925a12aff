import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { clinicDate, isoDate } from '../time.js';
import { auditClinicalRead, locateClinicalRecord, requireClinicalAccess, writingTherapistId } from './access.js';
import { ASSESSMENT_TEMPLATES, fieldPath, findAssessmentTemplate } from './assessment-templates.js';

export const ASSESSMENT_KINDS = ['initial', 'progress', 'reassessment', 'discharge'] as const;

const newInput = z.object({
  patientId: z.number().int().positive(),
  /** The system only: whose assessment it is (a therapist writes their own; an admin may not write). */
  therapistId: z.number().int().positive().optional(),
  appointmentId: z.number().int().positive().optional(),
  kind: z.enum(ASSESSMENT_KINDS, { error: `must be one of ${ASSESSMENT_KINDS.join(', ')}` }),
  templateCode: z.string().trim().min(1, 'is required'),
  data: z.unknown(),
  summary: z.string().trim().max(5000).optional(),
  recommendations: z.string().trim().max(5000).optional(),
  nextReviewOn: isoDate.optional(),
  assessedOn: isoDate.optional(),
});
export type NewAssessmentInput = z.input<typeof newInput>;

/** Checks structured findings against their template; the first problem names its field. */
export function validateAssessmentData(templateCode: string, data: unknown) {
  const template = findAssessmentTemplate(templateCode);
  if (!template) {
    throw new InvalidInputError(`No assessment template "${templateCode}". Templates: ${ASSESSMENT_TEMPLATES.map((t) => t.code).join(', ')}.`);
  }
  const parsed = template.schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const field = fieldPath(unknownKey === undefined ? issue.path : [...issue.path, unknownKey]);
    const message =
      unknownKey !== undefined
        ? 'is not a field of this template (a typo?)'
        : issue.code === 'invalid_type' && !field
          ? 'must be a JSON object'
          : issue.message;
    throw new InvalidInputError(`Assessment data (${template.code}) ${field ? `field ${field}` : 'as a whole'}: ${message}.`, {
      field,
      issues: parsed.error.issues.length,
    });
  }
  return { template, data: parsed.data as unknown, scores: template.score(parsed.data) };
}

/** Records an assessment: its kind, validated findings and scores, recommendations and next review. */
export async function newAssessment(ctx: DomainContext, raw: NewAssessmentInput) {
  const input = parseInput(newInput, raw);
  await requireClinicalAccess(ctx, 'write', { entity: 'assessment', patientId: input.patientId });
  const therapistId = writingTherapistId(ctx, input.therapistId);
  if (therapistId === undefined) throw new InvalidInputError('--therapist is required: whose assessment is this?');
  const { template, data, scores } = validateAssessmentData(input.templateCode, input.data);
  return inTransaction(ctx, async (tx) => {
    const today = clinicDate(tx.clock.now(), tx.timezone);
    const assessedOn = input.assessedOn ?? today;
    if (assessedOn > today) throw new InvalidInputError(`assessedOn: ${assessedOn} is in the future; an assessment is recorded once done.`);
    if (input.nextReviewOn !== undefined && input.nextReviewOn <= assessedOn) {
      throw new InvalidInputError(`nextReviewOn: must be after the assessment (${assessedOn}).`);
    }
    if (input.appointmentId !== undefined) {
      const appointment = await tx.db
        .selectFrom('appointments')
        .select(['patient_id', 'appointment_number'])
        .where('id', '=', input.appointmentId)
        .executeTakeFirst();
      if (!appointment) throw new NotFoundError(`No appointment with id ${input.appointmentId}.`);
      if (appointment.patient_id !== input.patientId) {
        throw new InvalidInputError(`appointmentId: ${appointment.appointment_number} is another patient's appointment.`);
      }
    }
    const row = await tx.db
      .insertInto('assessments')
      .values({
        patient_id: input.patientId,
        therapist_id: therapistId,
        appointment_id: input.appointmentId ?? null,
        kind: input.kind,
        template_code: template.code,
        data: JSON.stringify(data),
        scores: JSON.stringify(scores),
        summary: input.summary ?? null,
        recommendations: input.recommendations ?? null,
        next_review_on: input.nextReviewOn ?? null,
        assessed_on: assessedOn,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'clinical.assessment_add',
      entity: 'assessment',
      entityId: row.id,
      patientId: row.patient_id,
      after: { kind: row.kind, template: row.template_code, therapistId, nextReviewOn: row.next_review_on },
    });
    return assessmentJson(row);
  });
}

type AssessmentRow = {
  id: number;
  patient_id: number;
  therapist_id: number;
  appointment_id: number | null;
  kind: string;
  template_code: string;
  data: unknown;
  scores: unknown;
  summary: string | null;
  recommendations: string | null;
  next_review_on: string | null;
  assessed_on: string;
};

function assessmentJson(row: AssessmentRow) {
  return {
    id: row.id,
    patientId: row.patient_id,
    therapistId: row.therapist_id,
    appointmentId: row.appointment_id,
    kind: row.kind,
    template: row.template_code,
    templateName: findAssessmentTemplate(row.template_code)?.name ?? row.template_code,
    data: row.data,
    scores: row.scores as Record<string, number>,
    summary: row.summary,
    recommendations: row.recommendations,
    nextReviewOn: row.next_review_on === null ? null : String(row.next_review_on),
    assessedOn: String(row.assessed_on),
  };
}

/** One assessment with the patient's goals; the read is audited. */
export async function showAssessment(ctx: DomainContext, raw: { assessmentId: number }) {
  const { assessmentId } = parseInput(z.object({ assessmentId: z.number().int().positive() }), raw);
  const head = await locateClinicalRecord(ctx, 'assessment', assessmentId);
  if (!head) throw new NotFoundError(`No assessment with id ${assessmentId}.`);
  await requireClinicalAccess(ctx, 'read', { entity: 'assessment', entityId: head.id, patientId: head.patient_id });
  return inTransaction(ctx, async (tx) => {
    const row = await tx.db
      .selectFrom('assessments as a')
      .innerJoin('patients as p', 'p.id', 'a.patient_id')
      .innerJoin('therapists as t', 't.id', 'a.therapist_id')
      .selectAll('a')
      .select(['p.full_name as patient_name', 'p.patient_number', 't.full_name as therapist_name'])
      .where('a.id', '=', assessmentId)
      .executeTakeFirstOrThrow();
    const goals = await tx.db
      .selectFrom('goals')
      .select(['id', 'description', 'unit', 'baseline_value', 'target_value', 'status', 'target_on'])
      .where('patient_id', '=', row.patient_id)
      .where('status', '=', 'active')
      .orderBy('id')
      .execute();
    await auditClinicalRead(tx, { entity: 'assessment', entityId: row.id, patientId: row.patient_id });
    return {
      ...assessmentJson(row),
      patient: { id: row.patient_id, number: row.patient_number, name: row.patient_name },
      therapist: { id: row.therapist_id, name: row.therapist_name },
      goals: goals.map((g) => ({
        id: g.id,
        description: g.description,
        unit: g.unit,
        baseline: g.baseline_value,
        target: g.target_value,
        targetOn: g.target_on === null ? null : String(g.target_on),
      })),
    };
  });
}

/** A patient's assessments, newest first (without their findings); the read is audited. */
export async function listAssessments(ctx: DomainContext, raw: { patientId: number }) {
  const { patientId } = parseInput(z.object({ patientId: z.number().int().positive() }), raw);
  await requireClinicalAccess(ctx, 'read', { entity: 'assessment', patientId });
  return inTransaction(ctx, async (tx) => {
    const rows = await tx.db
      .selectFrom('assessments as a')
      .innerJoin('therapists as t', 't.id', 'a.therapist_id')
      .select(['a.id', 'a.kind', 'a.template_code', 'a.assessed_on', 'a.next_review_on', 'a.scores', 'a.therapist_id', 't.full_name as therapist_name'])
      .where('a.patient_id', '=', patientId)
      .orderBy('a.assessed_on', 'desc')
      .orderBy('a.id', 'desc')
      .execute();
    await auditClinicalRead(tx, { entity: 'assessment', patientId, meta: { listed: rows.length } });
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      template: r.template_code,
      assessedOn: String(r.assessed_on),
      nextReviewOn: r.next_review_on === null ? null : String(r.next_review_on),
      scores: r.scores as Record<string, number>,
      therapist: { id: r.therapist_id, name: r.therapist_name },
    }));
  });
}
