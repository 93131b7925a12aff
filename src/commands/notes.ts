import type { Command } from 'commander';
import { appointmentIdFor, takingAppointment } from '../cli/appointment-choice.js';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { notesFields, notesFromTerminal, type NoteFields } from '../cli/notes-editor.js';
import { emit, table } from '../cli/output.js';
import { sessionAction, withSession, type CommandSession } from '../cli/session.js';
import { InvalidInputError } from '../domain/errors.js';
import { editSessionNotes, sessionNotesForEditing } from '../domain/clinical/edit-session-notes.js';
import { addSessionNotes, notesDue, requireNotesWritable, showSessionNotes } from '../domain/clinical/session-notes.js';
import { therapistFor } from '../cli/pick-person.js';
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

function fromFlags(flags: NoteFlags): NoteFields {
  const fields: Record<keyof NoteFields, string | undefined> = {
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
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as NoteFields;
}

async function add(env: CommandEnv, ref: string | undefined, flags: NoteFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const appointmentId = await appointmentIdFor(env, ctx, ref);
    let fields = fromFlags(flags);
    if (!Object.keys(fields).length && env.interactive) {
      // Refused before the editor or the questions, not after the notes are typed.
      const appointment = await requireNotesWritable(ctx, appointmentId);
      fields = await notesFromTerminal(env, appointment.appointment_number);
    }
    const notes = await addSessionNotes(ctx, { appointmentId, ...notesFields(fields) });
    emit(env, notes, () => `Session notes recorded for ${notes.appointmentNumber}.`);
    return 0;
  });
}

/** The notes' fields as the editor shows them (text as written; rating as a number). */
function editorFields(n: Awaited<ReturnType<typeof sessionNotesForEditing>>): NoteFields {
  const fields: Record<keyof NoteFields, string | null> = {
    objectives: n.objectives,
    activities: n.activities,
    materials: n.materials,
    observations: n.observations,
    progressNotes: n.progressNotes,
    homework: n.homework,
    nextPlan: n.nextPlan,
    attendance: n.attendance,
    patientResponse: n.patientResponse,
    rating: n.rating === null ? null : String(n.rating),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)) as NoteFields;
}

async function edit(env: CommandEnv, ref: string | undefined, flags: NoteFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const appointmentId = await appointmentIdFor(env, ctx, ref);
    let fields = fromFlags(flags);
    let unchangedSince: Date | undefined;
    if (!Object.keys(fields).length) {
      if (!env.interactive) {
        throw new InvalidInputError(
          'Give the fields to change as flags, e.g. --observations "…" (an empty value clears a field), or run the command in a terminal to edit the notes in $EDITOR.',
        );
      }
      const current = await sessionNotesForEditing(ctx, { appointmentId });
      unchangedSince = current.updatedAt;
      fields = await notesFromTerminal(env, current.appointmentNumber, editorFields(current));
    }
    const notes = await editSessionNotes(ctx, { appointmentId, ...fields, ...(unchangedSince ? { unchangedSince } : {}) } as Parameters<
      typeof editSessionNotes
    >[1]);
    emit(env, notes, () =>
      notes.changed.length
        ? `Session notes of ${notes.appointmentNumber} edited: ${notes.changed.join(', ')}.`
        : `Nothing changed in the session notes of ${notes.appointmentNumber}.`,
    );
    return 0;
  });
}

async function show(env: CommandEnv, ref: string | undefined): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const n = await showSessionNotes(ctx, { appointmentId: await appointmentIdFor(env, ctx, ref) });
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

async function due({ ctx, env }: CommandSession, flags: { therapist?: string }): Promise<number> {
  const therapistId = flags.therapist ? (await therapistFor(env, ctx, flags.therapist)).id : undefined;
  const rows = await notesDue(ctx, { therapistId });
  emit(env, rows, () =>
    rows.length
      ? [
          `Notes due (${rows.length}):`,
          table(
            ['When', 'Appointment', 'Patient', 'Therapist', 'Service'],
            rows.map((r) => [
              formatFriendly(r.starts_at, ctx.timezone),
              r.appointment_number,
              `${r.patient_name} (${r.patient_number})`,
              r.therapist_name,
              r.service_name,
            ]),
          ),
        ]
      : 'No notes due: every completed session has its notes.',
  );
  return 0;
}

/** The flags of each field of the notes, for writing them and for editing them. */
function withNoteFlags(command: Command, editing: boolean): Command {
  return command
    .option('--objectives <text>', 'the session objectives')
    .option('--activities <text>', 'activities done')
    .option('--materials <text>', 'materials used')
    .option('--observations <text>', 'observations')
    .option('--progress <text>', 'progress notes')
    .option('--homework <text>', 'homework for the family')
    .option('--next-plan <text>', 'the plan for next session')
    .option('--attendance <kind>', `${editing ? 'present' : 'present (default)'}, late, left_early or absent`)
    .option('--response <text>', "the patient's response")
    .option('--rating <1-5>', `how the session went, 1 to 5${editing ? ' ("" clears it)' : ''}`);
}

export function register(program: Command, run: RunCommand): void {
  const notes = program.command('notes').description('Therapy session notes: add, edit, show, due');
  withNoteFlags(notes.command('add [appointment]'), false)
    .description('Write the notes of a session (flags; on a terminal, $EDITOR on a template or prompts)')
    .action(run(takingAppointment(add)));
  withNoteFlags(notes.command('edit [appointment]'), true)
    .description('Edit the notes of a session you wrote: only the fields given change ("" clears one); on a terminal, $EDITOR')
    .action(run(takingAppointment(edit)));
  notes
    .command('show [appointment]')
    .description("A session's notes (the read is audited)")
    .action(run(takingAppointment(show)));
  notes
    .command('due')
    .description('Completed sessions still without notes (a therapist: their own)')
    .option('--therapist <therapist>', 'one therapist (admin)')
    .action(sessionAction(run, due));
}
