import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveInt } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { checkOutputFile, writeOutputFile } from '../cli/output-file.js';
import { askSelect, requireFlag } from '../cli/prompts.js';
import { withSession, type Session } from '../cli/session.js';
import type { DomainContext } from '../domain/context.js';
import { ACCESS_LEVELS } from '../domain/documents/access.js';
import { addDocument, DOCUMENT_TYPES, getDocument, listDocuments, readableSize, removeDocument, type DocumentType } from '../domain/documents/documents.js';
import { extensionOf } from '../domain/documents/file-kind.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { resolveAppointmentId } from '../domain/people/resolve.js';
import { patientFor } from '../cli/pick-person.js';
import { formatFriendly } from '../domain/time.js';
import { documentStoreFor } from '../infra/storage/file-document-store.js';

/** The session's context with the configured document store. */
export function withDocuments(session: Session): DomainContext {
  return { ...session.ctx, documentStore: documentStoreFor(session.config) };
}

/** Reads the file to file, refusing what is not a regular file or is over the limit before reading it. */
async function readDocumentFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const info = await stat(path).catch(() => {
    throw new NotFoundError(`No file ${path}.`);
  });
  if (!info.isFile()) throw new InvalidInputError(`${path} is not a file.`);
  if (info.size > maxBytes) throw new InvalidInputError(`The file is ${readableSize(info.size)}; documents may be at most ${readableSize(maxBytes)}.`);
  const handle = await open(path, constants.O_RDONLY);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

interface AddFlags {
  type?: string;
  session?: string;
  access?: string;
}

async function add(env: CommandEnv, patientRef: string, file: string, flags: AddFlags): Promise<number> {
  return withSession(env, async (session) => {
    const ctx = withDocuments(session);
    const patient = await patientFor(env, ctx, patientRef);
    const docType =
      flags.type ??
      (env.interactive
        ? await askSelect<DocumentType>({ message: 'What is it?', choices: DOCUMENT_TYPES.map((t) => ({ value: t, label: t.replace('_', ' ') })) })
        : undefined);
    if (!docType) throw new InvalidInputError(`--type is required: ${DOCUMENT_TYPES.join(', ')}.`);
    const bytes = await readDocumentFile(file, ctx.documentStore!.maxBytes);
    const doc = await addDocument(ctx, {
      patientId: patient.id,
      bytes,
      originalName: basename(file),
      docType: docType as DocumentType,
      ...(flags.access ? { access: flags.access as (typeof ACCESS_LEVELS)[number] } : {}),
      ...(flags.session ? { appointmentId: await resolveAppointmentId(ctx, flags.session) } : {}),
    });
    emit(
      env,
      doc,
      () =>
        `Filed document ${doc.id} for ${patient.patient_number}: ${doc.docType.replace('_', ' ')}, ${doc.mimeType}, ${readableSize(doc.sizeBytes)}, access ${doc.access}` +
        `${doc.storedOnce ? ' (the same content was already stored; kept once)' : ''}.`,
    );
    return 0;
  });
}

async function list(env: CommandEnv, patientRef: string): Promise<number> {
  return withSession(env, async (session) => {
    const ctx = withDocuments(session);
    const patient = await patientFor(env, ctx, patientRef);
    const docs = await listDocuments(ctx, { patientId: patient.id });
    emit(env, docs, () =>
      tableOr(
        ['Id', 'Added', 'Type', 'Name', 'Content', 'Size', 'Access', 'Session', 'Review'],
        docs.map((d) => [
          d.id,
          formatFriendly(d.addedAt, ctx.timezone),
          d.docType,
          d.name,
          d.mimeType,
          readableSize(d.sizeBytes),
          d.access,
          d.appointmentNumber ?? '',
          d.needsReview ? `needs review (${d.uploadedVia})` : '',
        ]),
        `No documents for ${patient.patient_number} that you may see.`,
      ),
    );
    return 0;
  });
}

async function get(env: CommandEnv, id: number, flags: { out?: string; force?: boolean }): Promise<number> {
  return withSession(env, async (session) => {
    const ctx = withDocuments(session);
    // A path given is checked before the (audited) read; the default name needs the document's type.
    if (flags.out !== undefined && flags.out !== '-') await checkOutputFile(flags.out, Boolean(flags.force));
    // A file's bytes (a family's upload, say) could act on a terminal as escape sequences: only into a pipe or a file.
    if (flags.out === '-' && (env.io.stdout as { isTTY?: boolean }).isTTY) {
      throw new InvalidInputError('--out -: standard output is a terminal; redirect it (> file, | program) or give --out <file>.');
    }
    const { document, bytes } = await getDocument(ctx, { documentId: id });
    if (flags.out === '-') {
      env.io.stdout.write(bytes);
      return 0;
    }
    // A name Roshni makes from the id and the detected type: the stored name is never a path.
    const target = resolve(flags.out ?? `document-${document.id}.${extensionOf(document.mimeType)}`);
    await writeOutputFile(target, bytes, Boolean(flags.force));
    emit(env, { ...document, path: target }, () => `Wrote document ${document.id} (${document.name}, ${document.mimeType}) to ${target}.`);
    return 0;
  });
}

async function remove(env: CommandEnv, id: number, flags: { reason?: string }): Promise<number> {
  return withSession(env, async (session) => {
    const ctx = withDocuments(session);
    const reason = await requireFlag(env, flags.reason, '--reason', { message: 'Why is it removed?' });
    const removed = await removeDocument(ctx, { documentId: id, reason });
    emit(env, removed, () => `Removed document ${removed.id}${removed.contentDeleted ? '' : ' (its content is kept: another document has the same content)'}.`);
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const doc = program.command('doc').description("A patient's documents: add, list, get, remove");
  doc
    .command('add <patient> <file>')
    .description('File a document (PDF, image, audio, video, office); its type is told by its content')
    .option('--type <type>', DOCUMENT_TYPES.join(', '))
    .option('--session <appointment>', 'the session (appointment with notes) it belongs to')
    .option('--access <level>', `who may see it: ${ACCESS_LEVELS.join(', ')} (default by type: clinical papers therapist, consent forms and invoices patient)`)
    .action(run(add));
  doc.command('list <patient>').description("The patient's documents you may see (the listing is audited)").action(run(list));
  doc
    .command('get')
    .argument('<id>', 'document id', positiveInt)
    .description('Write a document to a file (default ./document-<id>.<ext>; --out - for stdout); the read is audited')
    .option('--out <path>', 'where to write it, or - for stdout')
    .option('--force', 'overwrite an existing file')
    .action(run(get));
  doc
    .command('remove')
    .argument('<id>', 'document id', positiveInt)
    .description('Remove a document, with a reason (kept in the record; the content goes when no other document shares it)')
    .option('--reason <text>', 'why it is removed')
    .action(run(remove));
}
