import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { clinicDate, isoDate } from '../time.js';
import { auditClinicalRead, locateClinicalRecord, requireClinicalAccess, writingTherapistId } from './access.js';

// Goals per patient with a baseline and a target, measured over sessions.

const measure = z.coerce
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, 'must be a number')
  .refine((v) => Math.abs(v) < 1e8, 'is too large');

const goalInput = z.object({
  patientId: z.number().int().positive(),
  therapistId: z.number().int().positive().optional(),
  description: z.string().trim().min(3, 'must say what the goal is').max(500),
  unit: z.string().trim().min(1).max(20).default('%'),
  baseline: measure,
  target: measure,
  targetOn: isoDate.optional(),
  specialization: z.string().trim().min(1).optional(),
});
export type GoalInput = z.input<typeof goalInput>;

/** A goal's value with its unit as people write it: "65%", "°" stuck to the number, words after a space ("6 words"). */
export function withUnit(value: number | string, unit: string): string {
  return /^[\p{L}\p{N}]/u.test(unit) ? `${value} ${unit}` : `${value}${unit}`;
}

export async function addGoal(ctx: DomainContext, raw: GoalInput) {
  const input = parseInput(goalInput, raw);
  if (input.baseline === input.target) throw new InvalidInputError('target: must differ from the baseline.');
  await requireClinicalAccess(ctx, 'write', { entity: 'goal', patientId: input.patientId });
  const therapistId = writingTherapistId(ctx, input.therapistId);
  if (therapistId === undefined) throw new InvalidInputError('--therapist is required: whose goal is this?');
  return inTransaction(ctx, async (tx) => {
    const goal = await tx.db
      .insertInto('goals')
      .values({
        patient_id: input.patientId,
        therapist_id: therapistId,
        description: input.description,
        unit: input.unit,
        baseline_value: input.baseline,
        target_value: input.target,
        target_on: input.targetOn ?? null,
        specialization_code: input.specialization ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'clinical.goal_add',
      entity: 'goal',
      entityId: goal.id,
      patientId: goal.patient_id,
      after: { therapistId, unit: goal.unit, baseline: goal.baseline_value, target: goal.target_value },
    });
    return goal;
  });
}

const measureInput = z.object({
  goalId: z.number().int().positive(),
  value: measure,
  measuredOn: isoDate.optional(),
  appointmentId: z.number().int().positive().optional(),
  note: z.string().trim().max(1000).optional(),
});
export type MeasureInput = z.input<typeof measureInput>;

/** Records a measured value of a goal, optionally tied to the session (appointment) it was taken in. */
export async function measureGoal(ctx: DomainContext, raw: MeasureInput) {
  const input = parseInput(measureInput, raw);
  const goal = await locateClinicalRecord(ctx, 'goal', input.goalId);
  if (!goal) throw new NotFoundError(`No goal with id ${input.goalId}.`);
  await requireClinicalAccess(ctx, 'write', { entity: 'goal', entityId: goal.id, patientId: goal.patient_id });
  return inTransaction(ctx, async (tx) => {
    const today = clinicDate(tx.clock.now(), tx.timezone);
    const measuredOn = input.measuredOn ?? today;
    if (measuredOn > today) throw new InvalidInputError(`measuredOn: ${measuredOn} is in the future; record a measurement once taken.`);
    let therapySessionId: number | null = null;
    if (input.appointmentId !== undefined) {
      const session = await tx.db
        .selectFrom('therapy_sessions')
        .select(['id', 'patient_id'])
        .where('appointment_id', '=', input.appointmentId)
        .executeTakeFirst();
      if (!session || session.patient_id !== goal.patient_id) {
        throw new InvalidInputError("--appointment must be one of this patient's sessions with notes written.");
      }
      therapySessionId = session.id;
    }
    const row = await tx.db
      .insertInto('goal_measurements')
      .values({
        goal_id: goal.id,
        value: input.value,
        measured_on: measuredOn,
        therapy_session_id: therapySessionId,
        note: input.note ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'clinical.goal_measure',
      entity: 'goal',
      entityId: goal.id,
      patientId: goal.patient_id,
      after: { measurementId: row.id, value: row.value, measuredOn: String(row.measured_on) },
    });
    // Read in full only now, under the actor's own rights.
    const full = await tx.db.selectFrom('goals').selectAll().where('id', '=', goal.id).executeTakeFirstOrThrow();
    return { goal: full, measurement: row };
  });
}

export interface GoalProgress {
  id: number;
  description: string;
  unit: string;
  status: string;
  baseline: number;
  target: number;
  targetOn: string | null;
  measurements: Array<{ on: string; value: number }>;
  latest: number | null;
  /** How far from baseline to target the latest measurement is, 0–100 (may pass 100). */
  percentOfWay: number | null;
}

const progressInput = z.object({
  patientId: z.number().int().positive(),
  /** Read to be written to a page for the family (`progress --out`): said so in the audit. */
  format: z.enum(['html']).optional(),
});

/** Each of a patient's goals with its measurements in time order; the read is audited. */
export async function patientProgress(ctx: DomainContext, raw: z.input<typeof progressInput>): Promise<GoalProgress[]> {
  const { patientId, format } = parseInput(progressInput, raw);
  await requireClinicalAccess(ctx, 'read', { entity: 'progress', patientId });
  return inTransaction(ctx, async (tx) => {
    const goals = await tx.db.selectFrom('goals').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const measurements = goals.length
      ? await tx.db
          .selectFrom('goal_measurements')
          .select(['goal_id', 'measured_on', 'value'])
          .where(
            'goal_id',
            'in',
            goals.map((g) => g.id),
          )
          .orderBy('measured_on')
          .orderBy('id')
          .execute()
      : [];
    await auditClinicalRead(tx, { entity: 'progress', patientId, meta: { goals: goals.length, ...(format ? { format } : {}) } });
    return goals.map((g) => {
      const points = measurements.filter((m) => m.goal_id === g.id).map((m) => ({ on: String(m.measured_on), value: Number(m.value) }));
      const latest = points.at(-1)?.value ?? null;
      const baseline = Number(g.baseline_value);
      const target = Number(g.target_value);
      return {
        id: g.id,
        description: g.description,
        unit: g.unit,
        status: g.status,
        baseline,
        target,
        targetOn: g.target_on === null ? null : String(g.target_on),
        measurements: points,
        latest,
        percentOfWay: latest === null ? null : Math.round((100 * (latest - baseline)) / (target - baseline)),
      };
    });
  });
}

export const GOAL_STATUSES = ['active', 'achieved', 'discontinued'] as const;

const statusInput = z.object({
  goalId: z.number().int().positive(),
  status: z.enum(GOAL_STATUSES, { error: `must be one of ${GOAL_STATUSES.join(', ')}` }),
});

/** Marks a goal achieved or discontinued, or active again; setting the status it has changes nothing. */
export async function setGoalStatus(ctx: DomainContext, raw: z.input<typeof statusInput>) {
  const input = parseInput(statusInput, raw);
  const found = await locateClinicalRecord(ctx, 'goal', input.goalId);
  if (!found) throw new NotFoundError(`No goal with id ${input.goalId}.`);
  await requireClinicalAccess(ctx, 'write', { entity: 'goal', entityId: found.id, patientId: found.patient_id });
  return inTransaction(ctx, async (tx) => {
    const goal = await tx.db.selectFrom('goals').selectAll().where('id', '=', found.id).forUpdate().executeTakeFirstOrThrow();
    if (goal.status === input.status) return { goal, changed: false, previous: goal.status };
    const updated = await tx.db.updateTable('goals').set({ status: input.status }).where('id', '=', goal.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'clinical.goal_status',
      entity: 'goal',
      entityId: goal.id,
      patientId: goal.patient_id,
      before: { status: goal.status },
      after: { status: updated.status },
    });
    return { goal: updated, changed: true, previous: goal.status };
  });
}
