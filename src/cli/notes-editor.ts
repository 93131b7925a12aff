import { mayWriteSessionNotes } from '../domain/clinical/edit-session-notes.js';
import { addSessionNotes, hasSessionNotes, type SessionNotesInput } from '../domain/clinical/session-notes.js';
import type { DomainContext } from '../domain/context.js';
import { isDomainError } from '../domain/errors.js';
import { configuredEditor, editInEditor } from './editor.js';
import type { CommandEnv } from './io.js';
import { NOTE_SECTIONS, notesTemplate, parseNotesTemplate, type NoteKey } from './notes-template.js';
import { note } from './output.js';
import { askConfirm, askText, PromptCancelledError } from './prompts.js';

// Session notes written on a terminal: $VISUAL or $EDITOR on the template (prefilled when editing),
// else one prompt per field.

export type NoteFields = Partial<Record<NoteKey, string>>;

/** Fields as typed (text) for the domain, which parses them (the rating from text too). */
export const notesFields = (fields: NoteFields) => fields as Omit<SessionNotesInput, 'appointmentId'>;

/**
 * The notes as the therapist writes them on the terminal. With `prefilled` (editing), every field
 * comes back: a section left empty is '' (cleared), except attendance, which stays as it was.
 */
export async function notesFromTerminal(env: CommandEnv, title: string, prefilled?: NoteFields): Promise<NoteFields> {
  const editor = configuredEditor(env);
  let fields: NoteFields = {};
  if (editor) {
    fields = parseNotesTemplate(editInEditor(editor, 'session-notes.md', notesTemplate(title, prefilled ?? {})));
  } else {
    for (const { key, heading } of NOTE_SECTIONS) {
      const initialValue = prefilled ? prefilled[key] : key === 'attendance' ? 'present' : undefined;
      const value = await askText({ message: heading, optional: true, io: env.io, ...(initialValue ? { initialValue } : {}) });
      if (value) fields[key] = value;
    }
  }
  if (!prefilled) return fields;
  const all: NoteFields = {};
  for (const { key } of NOTE_SECTIONS) {
    if (fields[key] !== undefined) all[key] = fields[key];
    else if (key !== 'attendance') all[key] = '';
  }
  return all;
}

/**
 * After `roshni complete`: on a terminal, the session's own therapist is asked to write its notes
 * now; anyone else, or a script, is told how to write them later. The completion stands either way.
 */
export async function offerSessionNotes(env: CommandEnv, ctx: DomainContext, appointment: { id: number; appointment_number: string }): Promise<void> {
  if (await hasSessionNotes(ctx, appointment.id)) return;
  const number = appointment.appointment_number;
  const hint = `No session notes yet: write them with \`roshni notes add ${number}\`.`;
  if (!env.interactive || !(await mayWriteSessionNotes(ctx, appointment.id))) return note(env, hint);
  try {
    if (!(await askConfirm(`Write the session notes of ${number} now?`, true, env.io))) return note(env, hint);
    const notes = await addSessionNotes(ctx, { appointmentId: appointment.id, ...notesFields(await notesFromTerminal(env, number)) });
    note(env, `Session notes recorded for ${notes.appointmentNumber}.`);
  } catch (error) {
    if (!isDomainError(error) && !(error instanceof PromptCancelledError)) throw error;
    note(env, `The notes were not recorded (${error.message.replace(/\.$/, '')}); ${number} stays completed. Write them with \`roshni notes add ${number}\`.`);
  }
}
