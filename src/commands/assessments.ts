import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { RunCommand } from '../cli/command-groups.js';
import { configuredEditor, editInEditor } from '../cli/editor.js';
import type { CommandEnv } from '../cli/io.js';
import { dateValue, positiveInt } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { askSelect, askText, requireFlag } from '../cli/prompts.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';
import { writingTherapistId } from '../domain/clinical/access.js';
import { ASSESSMENT_TEMPLATES, findAssessmentTemplate } from '../domain/clinical/assessment-templates.js';
import { withUnit } from '../domain/clinical/goals.js';
import { ASSESSMENT_KINDS, listAssessments, newAssessment, showAssessment, validateAssessmentData } from '../domain/clinical/assessments.js';
import { InvalidInputError } from '../domain/errors.js';
import { resolveAppointmentId } from '../domain/people/resolve.js';
import { patientFor, therapistFor } from '../cli/pick-person.js';
import { isoDate } from '../domain/time.js';

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

function missing(message: string): never {
  throw new InvalidInputError(message);
}

/** On a terminal: the findings in $EDITOR, starting from the template's example, else as one line of JSON or a file. */
async function askFindings(env: CommandEnv, templateCode: string): Promise<unknown> {
  const template = findAssessmentTemplate(templateCode);
  const editor = configuredEditor(env);
  if (template && editor) return readAssessmentData(editInEditor(editor, `${template.code}.json`, `${JSON.stringify(template.example, null, 2)}\n`));
  const findings = z.string().superRefine((value, issue) => {
    try {
      validateAssessmentData(templateCode, readAssessmentData(value));
    } catch (error) {
      issue.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
  const answer = await askText({
    message: 'Findings: JSON, or the path of a .json file',
    ...(template ? { placeholder: JSON.stringify(template.example) } : {}),
    schema: findings,
    io: env.io,
  });
  return readAssessmentData(answer);
}

async function create({ ctx, env }: CommandSession, flags: NewFlags): Promise<number> {
  authorize(ctx.actor, 'clinical.write'); // before any question is asked
  // On a terminal, an assessment asked for is asked for in full: the optional values too.
  const asked = env.interactive && (!flags.patient || !flags.kind || !flags.template || flags.data === undefined);
  const patientRef = await requireFlag(env, flags.patient, '--patient', { message: 'Patient (name, phone, P-number or id)' });
  const kind =
    flags.kind ??
    (env.interactive
      ? await askSelect({ message: 'Kind of assessment', choices: ASSESSMENT_KINDS.map((k) => ({ value: k, label: k })), io: env.io })
      : missing('--kind is required: initial, progress, reassessment or discharge.'));
  const templateCode =
    flags.template ??
    (env.interactive
      ? await askSelect({ message: 'Template', choices: ASSESSMENT_TEMPLATES.map((t) => ({ value: t.code, label: t.name, hint: t.code })), io: env.io })
      : missing(`--template is required: ${ASSESSMENT_TEMPLATES.map((t) => t.code).join(', ')}.`));
  const data = flags.data === undefined && env.interactive ? await askFindings(env, templateCode) : readAssessmentData(flags.data);
  const optional = async (value: string | undefined, message: string, schema?: z.ZodType) =>
    value ?? (asked ? await askText({ message, optional: true, io: env.io, ...(schema ? { schema } : {}) }) : undefined);
  const summary = await optional(flags.summary, 'Summary (optional)');
  const recommendations = await optional(flags.recommendations, 'Recommendations (optional)');
  const nextReview = await optional(flags.nextReview, 'Next review date, YYYY-MM-DD (optional)', isoDate);
  const patient = await patientFor(env, ctx, patientRef);
  const therapist =
    flags.therapist ??
    (asked && writingTherapistId(ctx, undefined) === undefined ? await askText({ message: 'Whose assessment? (therapist)', io: env.io }) : undefined);
  const assessment = await newAssessment(ctx, {
    patientId: patient.id,
    kind: kind as 'initial',
    templateCode,
    data,
    ...(summary ? { summary } : {}),
    ...(recommendations ? { recommendations } : {}),
    ...(nextReview ? { nextReviewOn: nextReview } : {}),
    ...(flags.on ? { assessedOn: flags.on } : {}),
    ...(therapist ? { therapistId: (await therapistFor(env, ctx, therapist)).id } : {}),
    ...(flags.appointment ? { appointmentId: await resolveAppointmentId(ctx, flags.appointment) } : {}),
  });
  const scores = Object.entries(assessment.scores)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  emit(
    env,
    assessment,
    () => `Recorded ${assessment.kind} assessment ${assessment.id} (${assessment.templateName}) for ${patient.full_name}${scores ? `: ${scores}` : ''}.`,
  );
  return 0;
}

async function show({ ctx, env }: CommandSession, id: number): Promise<number> {
  const a = await showAssessment(ctx, { assessmentId: id });
  emit(env, a, () => [
    `Assessment ${a.id}: ${a.kind}, ${a.templateName} (${a.template})`,
    `  Patient: ${a.patient.name} (${a.patient.number}); therapist: ${a.therapist.name}; on ${a.assessedOn}${a.nextReviewOn ? `; next review ${a.nextReviewOn}` : ''}`,
    `  Scores: ${
      Object.entries(a.scores)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    '',
    'Findings:',
    ...JSON.stringify(a.data, null, 2)
      .split('\n')
      .map((l) => `  ${l}`),
    ...(a.summary ? ['', 'Summary:', `  ${a.summary}`] : []),
    ...(a.recommendations ? ['', 'Recommendations:', `  ${a.recommendations}`] : []),
    '',
    a.goals.length ? 'Active goals:' : 'No active goals (add one with `roshni goal add`).',
    ...a.goals.map(
      (g) =>
        `  ${g.id}. ${g.description}: baseline ${withUnit(g.baseline, g.unit)}, target ${withUnit(g.target, g.unit)}${g.targetOn ? ` by ${g.targetOn}` : ''}`,
    ),
  ]);
  return 0;
}

async function list({ ctx, env }: CommandSession, ref: string): Promise<number> {
  const patient = await patientFor(env, ctx, ref);
  const rows = await listAssessments(ctx, { patientId: patient.id });
  emit(env, rows, () =>
    tableOr(
      ['Id', 'On', 'Kind', 'Template', 'Scores', 'Therapist', 'Next review'],
      rows.map((r) => [
        r.id,
        r.assessedOn,
        r.kind,
        r.template,
        Object.entries(r.scores)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
        r.therapist.name,
        r.nextReviewOn ?? '',
      ]),
      `No assessments for ${patient.full_name} yet.`,
    ),
  );
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  const assess = program.command('assess').description('Assessments: new, show, list, templates');
  assess
    .command('new')
    .description('Record an assessment: findings (JSON checked against the template), recommendations, next review; on a terminal, asks for what is missing')
    .option('--patient <patient>', 'patient: name, phone, P-number or id')
    .option('--kind <kind>', 'initial, progress, reassessment or discharge')
    .option('--template <code>', 'the assessment template (see roshni assess templates)')
    .option('--data <json|file>', 'the findings: JSON inline, or a .json file')
    .option('--summary <text>', 'a short summary')
    .option('--recommendations <text>', 'recommendations')
    .option('--next-review <date>', 'next review date, YYYY-MM-DD', dateValue)
    .option('--on <date>', 'assessed on (default today), YYYY-MM-DD', dateValue)
    .option('--therapist <therapist>', 'whose assessment (a therapist always writes their own; an admin only reads)')
    .option('--appointment <appointment>', 'the appointment it was done in')
    .action(sessionAction(run, create));
  assess.command('show').argument('<id>', 'assessment id', positiveInt).description('One assessment (the read is audited)').action(sessionAction(run, show));
  assess.command('list <patient>').description("A patient's assessments (the read is audited)").action(sessionAction(run, list));
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
