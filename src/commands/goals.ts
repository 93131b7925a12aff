import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveInt } from '../cli/options.js';
import { emit } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { sparkline } from '../cli/sparkline.js';
import { addGoal, measureGoal, patientProgress, type GoalProgress } from '../domain/clinical/goals.js';
import { InvalidInputError } from '../domain/errors.js';
import { resolveAppointmentId, resolvePatient, resolveTherapist } from '../domain/people/resolve.js';

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

async function add(env: CommandEnv, flags: GoalFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    for (const flag of ['patient', 'description', 'baseline', 'target'] as const) {
      if (flags[flag] === undefined) throw new InvalidInputError(`--${flag} is required.`);
    }
    const patient = await resolvePatient(ctx, flags.patient!);
    const goal = await addGoal(ctx, {
      patientId: patient.id,
      description: flags.description!,
      baseline: flags.baseline!,
      target: flags.target!,
      ...(flags.unit ? { unit: flags.unit } : {}),
      ...(flags.by ? { targetOn: flags.by } : {}),
      ...(flags.specialization ? { specialization: flags.specialization } : {}),
      ...(flags.therapist ? { therapistId: (await resolveTherapist(ctx, flags.therapist)).id } : {}),
    });
    emit(env, goal, () => `Added goal ${goal.id} for ${patient.full_name}: baseline ${goal.baseline_value}${goal.unit}, target ${goal.target_value}${goal.unit}.`);
    return 0;
  });
}

async function measure(env: CommandEnv, goalId: number, value: string, flags: { on?: string; appointment?: string; note?: string }): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const { goal, measurement } = await measureGoal(ctx, {
      goalId,
      value,
      ...(flags.on ? { measuredOn: flags.on } : {}),
      ...(flags.note ? { note: flags.note } : {}),
      ...(flags.appointment ? { appointmentId: await resolveAppointmentId(ctx, flags.appointment) } : {}),
    });
    emit(env, measurement, () => `Recorded ${measurement.value}${goal.unit} for goal ${goal.id} on ${measurement.measured_on} (target ${goal.target_value}${goal.unit}).`);
    return 0;
  });
}

function renderGoal(g: GoalProgress): string[] {
  const values = g.measurements.map((m) => m.value);
  const low = Math.min(g.baseline, g.target, ...values);
  const high = Math.max(g.baseline, g.target, ...values);
  const lines = [`${g.id}. ${g.description}${g.status === 'active' ? '' : ` (${g.status})`}`];
  lines.push(`   baseline ${g.baseline}${g.unit} → target ${g.target}${g.unit}${g.targetOn ? ` by ${g.targetOn}` : ''}`);
  if (!values.length) {
    lines.push('   no measurements yet (roshni goal measure)');
  } else {
    lines.push(`   ${sparkline(values, low, high)}  ${values.join(', ')}`);
    lines.push(`   latest ${g.latest}${g.unit} on ${g.measurements.at(-1)!.on}: ${g.percentOfWay}% of the way from baseline to target`);
  }
  return lines;
}

async function progress(env: CommandEnv, ref: string): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const patient = await resolvePatient(ctx, ref);
    const goals = await patientProgress(ctx, { patientId: patient.id });
    emit(env, goals, () =>
      goals.length
        ? [`Progress of ${patient.full_name} (${patient.patient_number}): ${goals.length} goal(s)`, '', ...goals.flatMap((g) => [...renderGoal(g), ''])]
        : `${patient.full_name} has no goals yet; add one with \`roshni goal add\`.`,
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const goal = program.command('goal').description('Therapy goals: add, measure');
  goal
    .command('add')
    .description('A goal for a patient, with a baseline and a target')
    .option('--patient <patient>', 'patient: name, phone, P-number or id')
    .option('--description <text>', 'what the goal is')
    .option('--baseline <value>', 'where the patient starts')
    .option('--target <value>', 'where the goal is reached')
    .option('--unit <unit>', 'unit of the values (default %)')
    .option('--by <date>', 'target date, YYYY-MM-DD')
    .option('--specialization <code>', 'slp, ot or pt')
    .option('--therapist <therapist>', "whose goal (admin/system only; a therapist's own otherwise)")
    .action(run(add));
  goal
    .command('measure')
    .argument('<goal>', 'goal id', positiveInt)
    .argument('<value>', 'the measured value')
    .description('Record a measured value of a goal')
    .option('--on <date>', 'measured on (default today), YYYY-MM-DD')
    .option('--appointment <appointment>', 'the session it was measured in (its notes must be written)')
    .option('--note <text>', 'a short note')
    .action(run(measure));
  program
    .command('progress <patient>')
    .description("Each of a patient's goals with its trend as a sparkline (the read is audited)")
    .action(run(progress));
}
