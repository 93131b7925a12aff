import type { Command } from 'commander';
import { z } from 'zod';
import type { RunCommand } from '../cli/command-groups.js';
import { dateValue, positiveInt } from '../cli/options.js';
import { emit } from '../cli/output.js';
import { checkOutputFile, writeOutputFile } from '../cli/output-file.js';
import { askText, requireFlag } from '../cli/prompts.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';
import { sparkline } from '../cli/sparkline.js';
import { writingTherapistId } from '../domain/clinical/access.js';
import { addGoal, GOAL_STATUSES, measureGoal, patientProgress, setGoalStatus, withUnit, type GoalProgress } from '../domain/clinical/goals.js';
import { renderProgressHtml } from '../domain/clinical/progress-html.js';
import { requireClinicSettings } from '../domain/clinic/settings.js';
import { resolveAppointmentId } from '../domain/people/resolve.js';
import { patientFor, therapistFor } from '../cli/pick-person.js';
import { isoDate } from '../domain/time.js';

type GoalStatusName = (typeof GOAL_STATUSES)[number];

interface GoalFlags {
  patient?: string;
  description?: string;
  baseline?: string;
  target?: string;
  unit?: string;
  by?: string;
  therapist?: string;
  specialization?: string;
}

const REQUIRED = ['patient', 'description', 'baseline', 'target'] as const;
const measureText = z.string().refine((v) => v.trim() !== '' && Number.isFinite(Number(v)), 'must be a number');

async function add({ ctx, env }: CommandSession, flags: GoalFlags): Promise<number> {
  authorize(ctx.actor, 'clinical.write'); // before any question is asked
  // On a terminal, a goal asked for is asked for in full: the optional values too.
  const asked = env.interactive && REQUIRED.some((flag) => flags[flag] === undefined);
  const patient = await patientFor(env, ctx, await requireFlag(env, flags.patient, '--patient', { message: 'Patient (name, phone, P-number or id)' }));
  const description = await requireFlag(env, flags.description, '--description', {
    message: 'What is the goal?',
    placeholder: 'Says /s/ in initial position',
  });
  const unit = flags.unit ?? (asked ? await askText({ message: 'Unit of the values', initialValue: '%', optional: true, io: env.io }) : undefined);
  const baseline = await requireFlag(env, flags.baseline, '--baseline', { message: `Baseline (where ${patient.full_name} starts)`, schema: measureText });
  const target = await requireFlag(env, flags.target, '--target', { message: 'Target (where the goal is reached)', schema: measureText });
  const by = flags.by ?? (asked ? await askText({ message: 'Target date (YYYY-MM-DD, optional)', optional: true, schema: isoDate, io: env.io }) : undefined);
  const therapist =
    flags.therapist ??
    (asked && writingTherapistId(ctx, undefined) === undefined ? await askText({ message: 'Whose goal? (therapist)', io: env.io }) : undefined);
  const goal = await addGoal(ctx, {
    patientId: patient.id,
    description,
    baseline,
    target,
    ...(unit ? { unit } : {}),
    ...(by ? { targetOn: by } : {}),
    ...(flags.specialization ? { specialization: flags.specialization } : {}),
    ...(therapist ? { therapistId: (await therapistFor(env, ctx, therapist)).id } : {}),
  });
  emit(
    env,
    goal,
    () =>
      `Added goal ${goal.id} for ${patient.full_name}: baseline ${withUnit(goal.baseline_value, goal.unit)}, target ${withUnit(goal.target_value, goal.unit)}.`,
  );
  return 0;
}

async function status({ ctx, env }: CommandSession, goalId: number, to: string): Promise<number> {
  const result = await setGoalStatus(ctx, { goalId, status: to as GoalStatusName });
  emit(env, result, () =>
    result.changed ? `Goal ${goalId} is now ${result.goal.status} (was ${result.previous}).` : `Goal ${goalId} is already ${result.goal.status}.`,
  );
  return 0;
}

async function measure(
  { ctx, env }: CommandSession,
  goalId: number,
  value: string,
  flags: { on?: string; appointment?: string; note?: string },
): Promise<number> {
  const { goal, measurement } = await measureGoal(ctx, {
    goalId,
    value,
    ...(flags.on ? { measuredOn: flags.on } : {}),
    ...(flags.note ? { note: flags.note } : {}),
    ...(flags.appointment ? { appointmentId: await resolveAppointmentId(ctx, flags.appointment) } : {}),
  });
  emit(
    env,
    measurement,
    () =>
      `Recorded ${withUnit(measurement.value, goal.unit)} for goal ${goal.id} on ${measurement.measured_on} (target ${withUnit(goal.target_value, goal.unit)}).`,
  );
  return 0;
}

function renderGoal(g: GoalProgress): string[] {
  const values = g.measurements.map((m) => m.value);
  const low = Math.min(g.baseline, g.target, ...values);
  const high = Math.max(g.baseline, g.target, ...values);
  const lines = [`${g.id}. ${g.description}${g.status === 'active' ? '' : ` (${g.status})`}`];
  lines.push(`   baseline ${withUnit(g.baseline, g.unit)} → target ${withUnit(g.target, g.unit)}${g.targetOn ? ` by ${g.targetOn}` : ''}`);
  if (!values.length) {
    lines.push('   no measurements yet (roshni goal measure)');
  } else {
    lines.push(`   ${sparkline(values, low, high)}  ${values.join(', ')}`);
    lines.push(`   latest ${withUnit(g.latest!, g.unit)} on ${g.measurements.at(-1)!.on}: ${g.percentOfWay}% of the way from baseline to target`);
  }
  return lines;
}

async function progress({ ctx, env }: CommandSession, ref: string, flags: { out?: string; force?: boolean }): Promise<number> {
  const patient = await patientFor(env, ctx, ref);
  if (flags.out !== undefined) {
    const target = await checkOutputFile(flags.out, Boolean(flags.force));
    const goals = await patientProgress(ctx, { patientId: patient.id, format: 'html' });
    const { name: clinicName } = await requireClinicSettings(ctx);
    const page = {
      clinicName,
      patient: { name: patient.full_name, number: patient.patient_number },
      generatedAt: ctx.clock.now(),
      timezone: ctx.timezone,
      goals,
    };
    await writeOutputFile(target, renderProgressHtml(page), Boolean(flags.force));
    emit(env, { file: target, goals }, () => `Wrote the progress of ${patient.full_name} (${goals.length} goal(s), with charts) to ${target}.`);
    return 0;
  }
  const goals = await patientProgress(ctx, { patientId: patient.id });
  emit(env, goals, () =>
    goals.length
      ? [`Progress of ${patient.full_name} (${patient.patient_number}): ${goals.length} goal(s)`, '', ...goals.flatMap((g) => [...renderGoal(g), ''])]
      : `${patient.full_name} has no goals yet; add one with \`roshni goal add\`.`,
  );
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  const goal = program.command('goal').description('Therapy goals: add, measure, status');
  goal
    .command('add')
    .description('A goal for a patient, with a baseline and a target (on a terminal, asks for what is missing)')
    .option('--patient <patient>', 'patient: name, phone, P-number or id')
    .option('--description <text>', 'what the goal is')
    .option('--baseline <value>', 'where the patient starts')
    .option('--target <value>', 'where the goal is reached')
    .option('--unit <unit>', 'unit of the values (default %)')
    .option('--by <date>', 'target date, YYYY-MM-DD', dateValue)
    .option('--specialization <code>', 'slp, ot or pt')
    .option('--therapist <therapist>', 'whose goal (a therapist always writes their own; an admin only reads)')
    .action(sessionAction(run, add));
  goal
    .command('measure')
    .argument('<goal>', 'goal id', positiveInt)
    .argument('<value>', 'the measured value')
    .description('Record a measured value of a goal')
    .option('--on <date>', 'measured on (default today), YYYY-MM-DD', dateValue)
    .option('--appointment <appointment>', 'the session it was measured in (its notes must be written)')
    .option('--note <text>', 'a short note')
    .action(sessionAction(run, measure));
  goal
    .command('status')
    .argument('<goal>', 'goal id', positiveInt)
    .argument('<status>', GOAL_STATUSES.join(', '))
    .description('Mark a goal achieved or discontinued, or active again')
    .action(sessionAction(run, status));
  program
    .command('progress <patient>')
    .description("Each of a patient's goals with its trend as a sparkline, or as an HTML page with charts for the family (the read is audited)")
    .option('--out <file.html>', 'write a self-contained HTML page with a chart per goal (mode 0600)')
    .option('--force', 'overwrite an existing file')
    .action(sessionAction(run, progress));
}
