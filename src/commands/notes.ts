import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { NOTE_SECTIONS, notesTemplate, parseNotesTemplate, type NoteKey } from '../cli/notes-template.js';
import { emit, table } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { InvalidInputError } from '../domain/errors.js';
import { addSessionNotes, notesDue, showSessionNotes } from '../domain/clinical/session-notes.js';
import { resolveAppointmentId, resolveTherapist } from '../domain/people/resolve.js';
import { formatFriendly } from '../domain/time.js';

interface NoteFlags {
  objectives?: string;
  activities?: string;
  materials?: string;
  observations?: string;
  progress?: string;
  homework?: string;
  nextPlan?: string;
  attendance?: string;
  response?: string;
  rating?: string;
}

function fromFlags(flags: NoteFlags): Partial<Record<NoteKey, string>> {
  const fields: Partial<Record<NoteKey, string | undefined>> = {
    objectives: flags.objectives,
    activities: flags.activities,
    materials: flags.materials,
    observations: flags.observations,
    progressNotes: flags.progress,
    homework: flags.homework,
    nextPlan: flags.nextPlan,
    attendance: flags.attendance,
    patientResponse: flags.response,
    rating: flags.rating,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<Record<NoteKey, string>>;
}

/** On a terminal with no field flags: $EDITOR on the template, or one prompt per field. */
async function fromTerminal(env: CommandEnv, title: string): Promise<Partial<Record<NoteKey, string>>> {
  const editor = env.io.env.VISUAL ?? env.io.env.EDITOR;
  if (editor) {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-notes-'));
    const file = join(dir, 'session-notes.md');
    try {
      writeFileSync(file, notesTemplate(title), { mode: 0o600 });
      const result = spawnSync(editor, [file], { stdio: 'inherit', shell: true });
      if (result.status !== 0) throw new InvalidInputError(`The editor (${editor}) exited with ${result.status}; nothing was written.`);
      return parseNotesTemplate(readFileSync(file, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const fields: Partial<Record<NoteKey, string>> = {};
  for (const { key, heading } of NOTE_SECTIONS) {
    const value = await askText({ message: heading, optional: true, ...(key === 'attendance' ? { initialValue: 'present' } : {}) });
    if (value) fields[key] = value;
  }
  return fields;
}

async function add(env: CommandEnv, ref: string, flags: NoteFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const appointmentId = await resolveAppointmentId(ctx, ref);
    let fields = fromFlags(flags);
    if (!Object.keys(fields).length && env.interactive) fields = await fromTerminal(env, ref.toUpperCase());
    const notes = await addSessionNotes(ctx, { appointmentId, ...fields } as Parameters<typeof addSessionNotes>[1]);
    emit(env, notes, () => `Session notes recorded for ${notes.appointmentNumber}.`);
    return 0;
  });
}

async function show(env: CommandEnv, ref: string): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const n = await showSessionNotes(ctx, { appointmentId: await resolveAppointmentId(ctx, ref) });
    emit(env, n, () => {
      const lines = [
        `${n.appointmentNumber}  ${n.service}, ${formatFriendly(n.startsAt, ctx.timezone)}`,
        `  Patient: ${n.patient.name} (${n.patient.number}); therapist: ${n.therapist.name}`,
        `  Attendance: ${n.attendance.replace('_', ' ')}${n.rating ? `; rating ${n.rating}/5` : ''}`,
      ];
      const text: Array<[string, string | null]> = [
        ['Objectives', n.objectives],
        ['Activities', n.activities],
        ['Materials', n.materials],
        ['Observations', n.observations],
        ['Progress notes', n.progressNotes],
        ['Homework', n.homework],
        ['Next plan', n.nextPlan],
        ['Patient response', n.patientResponse],
      ];
      for (const [heading, value] of text) {
        if (value) lines.push('', `${heading}:`, ...value.split('\n').map((l) => `  ${l}`));
      }
      return lines;
    });
    return 0;
  });
}

async function due(env: CommandEnv, flags: { therapist?: string }): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const therapistId = flags.therapist ? (await resolveTherapist(ctx, flags.therapist)).id : undefined;
    const rows = await notesDue(ctx, { therapistId });
    emit(env, rows, () =>
      rows.length
        ? [
            `Notes due (${rows.length}):`,
            table(
              ['When', 'Appointment', 'Patient', 'Therapist', 'Service'],
              rows.map((r) => [formatFriendly(r.starts_at, ctx.timezone), r.appointment_number, `${r.patient_name} (${r.patient_number})`, r.therapist_name, r.service_name]),
            ),
          ]
        : 'No notes due: every completed session has its notes.',
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const notes = program.command('notes').description('Therapy session notes: add, show, due');
  notes
    .command('add <appointment>')
    .description('Write the notes of a session (flags; on a terminal, $EDITOR on a template or prompts)')
    .option('--objectives <text>', 'the session objectives')
    .option('--activities <text>', 'activities done')
    .option('--materials <text>', 'materials used')
    .option('--observations <text>', 'observations')
    .option('--progress <text>', 'progress notes')
    .option('--homework <text>', 'homework for the family')
    .option('--next-plan <text>', 'the plan for next session')
    .option('--attendance <kind>', 'present (default), late, left_early or absent')
    .option('--response <text>', "the patient's response")
    .option('--rating <1-5>', 'how the session went, 1 to 5')
    .action(run(add));
  notes.command('show <appointment>').description("A session's notes (the read is audited)").action(run(show));
  notes
    .command('due')
    .description('Completed sessions still without notes (a therapist: their own)')
    .option('--therapist <therapist>', 'one therapist (admin)')
    .action(run(due));
}
