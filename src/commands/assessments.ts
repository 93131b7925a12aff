import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveInt } from '../cli/options.js';
import { emit, table } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { ASSESSMENT_TEMPLATES } from '../domain/clinical/assessment-templates.js';
import { listAssessments, newAssessment, showAssessment } from '../domain/clinical/assessments.js';
import { InvalidInputError } from '../domain/errors.js';
import { resolveAppointmentId, resolvePatient, resolveTherapist } from '../domain/people/resolve.js';

/** --data is inline JSON, or the path of a .json file. */
export function readAssessmentData(value: string | undefined): unknown {
  if (value === undefined) throw new InvalidInputError('--data is required: the findings as JSON, inline or a file (see `roshni assess templates`).');
  const trimmed = value.trim();
  const fromFile = !trimmed.startsWith('{') && !trimmed.startsWith('[') && existsSync(trimmed);
  if (!fromFile && !trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    throw new InvalidInputError(`--data must be JSON or the path of a JSON file; no file ${trimmed}.`);
  }
  const text = fromFile ? readFileSync(trimmed, 'utf8') : trimmed;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--data${fromFile ? ` (${trimmed})` : ''} is not valid JSON: ${(error as Error).message}.`);
  }
}

interface NewFlags {
  patient?: string;
  kind?: string;
  template?: string;
  data?: string;
  summary?: string;
  recommendations?: string;
  nextReview?: string;
  on?: string;
  therapist?: string;
  appointment?: string;
}

async function create(env: CommandEnv, flags: NewFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    if (!flags.patient) throw new InvalidInputError('--patient is required.');
    if (!flags.kind) throw new InvalidInputError('--kind is required: initial, progress, reassessment or discharge.');
    if (!flags.template) throw new InvalidInputError(`--template is required: ${ASSESSMENT_TEMPLATES.map((t) => t.code).join(', ')}.`);
    const data = readAssessmentData(flags.data);
    const patient = await resolvePatient(ctx, flags.patient);
    const assessment = await newAssessment(ctx, {
      patientId: patient.id,
      kind: flags.kind as 'initial',
      templateCode: flags.template,
      data,
      ...(flags.summary ? { summary: flags.summary } : {}),
      ...(flags.recommendations ? { recommendations: flags.recommendations } : {}),
      ...(flags.nextReview ? { nextReviewOn: flags.nextReview } : {}),
      ...(flags.on ? { assessedOn: flags.on } : {}),
      ...(flags.therapist ? { therapistId: (await resolveTherapist(ctx, flags.therapist)).id } : {}),
      ...(flags.appointment ? { appointmentId: await resolveAppointmentId(ctx, flags.appointment) } : {}),
    });
    const scores = Object.entries(assessment.scores).map(([k, v]) => `${k} ${v}`).join(', ');
    emit(env, assessment, () => `Recorded ${assessment.kind} assessment ${assessment.id} (${assessment.templateName}) for ${patient.full_name}${scores ? `: ${scores}` : ''}.`);
    return 0;
  });
}

async function show(env: CommandEnv, id: number): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const a = await showAssessment(ctx, { assessmentId: id });
    emit(env, a, () => [
      `Assessment ${a.id}: ${a.kind}, ${a.templateName} (${a.template})`,
      `  Patient: ${a.patient.name} (${a.patient.number}); therapist: ${a.therapist.name}; on ${a.assessedOn}${a.nextReviewOn ? `; next review ${a.nextReviewOn}` : ''}`,
      `  Scores: ${Object.entries(a.scores).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      '',
      'Findings:',
      ...JSON.stringify(a.data, null, 2).split('\n').map((l) => `  ${l}`),
      ...(a.summary ? ['', 'Summary:', `  ${a.summary}`] : []),
      ...(a.recommendations ? ['', 'Recommendations:', `  ${a.recommendations}`] : []),
      '',
      a.goals.length ? 'Active goals:' : 'No active goals (add one with `roshni goal add`).',
      ...a.goals.map((g) => `  ${g.id}. ${g.description}: baseline ${g.baseline}${g.unit}, target ${g.target}${g.unit}${g.targetOn ? ` by ${g.targetOn}` : ''}`),
    ]);
    return 0;
  });
}

async function list(env: CommandEnv, ref: string): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const patient = await resolvePatient(ctx, ref);
    const rows = await listAssessments(ctx, { patientId: patient.id });
    emit(env, rows, () =>
      rows.length
        ? table(
            ['Id', 'On', 'Kind', 'Template', 'Scores', 'Therapist', 'Next review'],
            rows.map((r) => [r.id, r.assessedOn, r.kind, r.template, Object.entries(r.scores).map(([k, v]) => `${k} ${v}`).join(', '), r.therapist.name, r.nextReviewOn ?? '']),
          )
        : `No assessments for ${patient.full_name} yet.`,
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const assess = program.command('assess').description('Assessments: new, show, list, templates');
  assess
    .command('new')
    .description('Record an assessment: structured findings (JSON checked against the template), recommendations, next review')
    .option('--patient <patient>', 'patient: name, phone, P-number or id')
    .option('--kind <kind>', 'initial, progress, reassessment or discharge')
    .option('--template <code>', 'the assessment template (see roshni assess templates)')
    .option('--data <json|file>', 'the findings: JSON inline, or a .json file')
    .option('--summary <text>', 'a short summary')
    .option('--recommendations <text>', 'recommendations')
    .option('--next-review <date>', 'next review date, YYYY-MM-DD')
    .option('--on <date>', 'assessed on (default today), YYYY-MM-DD')
    .option('--therapist <therapist>', "whose assessment (admin/system only; a therapist's own otherwise)")
    .option('--appointment <appointment>', 'the appointment it was done in')
    .action(run(create));
  assess.command('show').argument('<id>', 'assessment id', positiveInt).description('One assessment (the read is audited)').action(run(show));
  assess.command('list <patient>').description("A patient's assessments (the read is audited)").action(run(list));
  assess
    .command('templates')
    .description('The assessment templates and an example of their data')
    .action(
      run(async (env) => {
        const data = ASSESSMENT_TEMPLATES.map((t) => ({ code: t.code, name: t.name, specialization: t.specialization, example: t.example }));
        emit(env, data, () => data.flatMap((t) => [`${t.code}  ${t.name} (${t.specialization})`, `  --data '${JSON.stringify(t.example)}'`, '']));
        return 0;
      }),
    );
}
