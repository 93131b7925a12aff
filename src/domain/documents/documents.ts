import { sql } from 'kysely';
import { z } from 'zod';
import type { DocumentAccess } from '../../infra/db/schema.js';
import { staffUserIdOf } from '../actor.js';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { requireLivePatient } from '../people/live-patient.js';
import { hasUnsafeCharacters, UNSAFE_CHARS_ALL } from '../plain-text.js';
import { locateClinicalRecord } from '../clinical/access.js';
import { ACCESS_LEVELS, requireDocumentAccess } from './access.js';
import { sha256Of, type DocumentStore } from './document-store.js';
import { detectFileKind, type FileKind } from './file-kind.js';

// A patient's documents: reports, prescriptions, referrals, scans, recordings. The content is kept
// once per SHA-256 in the document store; the row says whose it is, what it is (type, MIME type
// detected from the content), who may see it (access level) and where it came from. The original
// name is kept as data for display only, never as a path.

export const DOCUMENT_TYPES = ['report', 'prescription', 'assessment', 'consent_form', 'referral', 'invoice', 'media', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export type UploadChannel = 'cli' | 'telegram' | 'whatsapp' | 'terminal_chat';

/** Without --access: clinical papers are for the therapists, the patient's own paperwork for any staff. */
export const DEFAULT_ACCESS: Record<DocumentType, DocumentAccess> = {
  report: 'therapist',
  prescription: 'therapist',
  assessment: 'therapist',
  referral: 'therapist',
  media: 'therapist',
  other: 'therapist',
  consent_form: 'patient',
  invoice: 'patient',
};

/** A document's name as staff give it: a plain file name, refused when it holds a path or control characters. */
export const documentName = z
  .string()
  .trim()
  .min(1, 'is empty')
  .max(200, 'is longer than 200 characters')
  .refine((name) => !/[/\\]/.test(name) && name !== '.' && name !== '..', 'must be a plain file name, without / or \\ (no paths)')
  .refine((name) => !hasUnsafeCharacters(name), 'must not contain control characters');

/** A name from outside (a chat) made safe to show: its last path segment, without control characters. */
export function safeDisplayName(raw: string | null | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const clean = last.replace(UNSAFE_CHARS_ALL, '').replace(/\s+/g, ' ').trim().replace(/^\.+/, '').slice(0, 200).trim();
  return clean || 'document';
}

export function requireDocumentStore(ctx: DomainContext): DocumentStore {
  if (!ctx.documentStore) throw new Error('No document store in the context: create one from the configuration (documentStoreFor).');
  return ctx.documentStore;
}

/** Serialises everything touching one content (adding it, letting it go) across processes. */
async function lockContent(ctx: DomainContext, sha256: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`roshni:document:${sha256}`}))`.execute(ctx.db);
}

/**
 * Deletes a content from the store when no live document refers to it any more (inside the
 * caller's transaction, under the content's lock). Returns whether it was deleted.
 */
export async function releaseContent(ctx: DomainContext, sha256: string): Promise<boolean> {
  await lockContent(ctx, sha256);
  // Every patient's documents count, whoever is acting (row security would hide some): only a yes/no leaves.
  const { rows } = await sql<{ used: boolean }>`SELECT roshni_content_in_use(${sha256}) AS used`.execute(ctx.db);
  if (rows[0]!.used) return false;
  await requireDocumentStore(ctx).delete(sha256);
  return true;
}

/** Size and type, checked before anything is written. */
export async function checkContent(ctx: DomainContext, bytes: Uint8Array): Promise<FileKind> {
  const { maxBytes } = requireDocumentStore(ctx);
  if (bytes.byteLength === 0) throw new InvalidInputError('The file is empty.', { reason: 'empty' });
  if (bytes.byteLength > maxBytes) {
    throw new InvalidInputError(`The file is ${readableSize(bytes.byteLength)}; documents may be at most ${readableSize(maxBytes)}.`, { reason: 'too_large' });
  }
  return detectFileKind(bytes);
}

/** A size as people read it: 57 bytes, 12.3 KB, 4.0 MB. */
export function readableSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export interface NewDocument {
  patientId: number;
  bytes: Uint8Array;
  kind: FileKind;
  originalName: string;
  docType: DocumentType;
  access: DocumentAccess;
  therapySessionId: number | null;
  needsReview: boolean;
  uploadedVia: UploadChannel;
}

/** Writes the content (once per hash) and its row, and audits it by ids and kinds (never the name). */
export async function storeDocument(ctx: DomainContext, doc: NewDocument) {
  const store = requireDocumentStore(ctx);
  const sha256 = sha256Of(doc.bytes);
  return inTransaction(ctx, async (tx) => {
    await lockContent(tx, sha256);
    const { created } = await store.put(sha256, doc.bytes);
    try {
      const row = await tx.db
        .insertInto('documents')
        .values({
          patient_id: doc.patientId,
          therapy_session_id: doc.therapySessionId,
          doc_type: doc.docType,
          sha256,
          original_name: doc.originalName,
          mime_type: doc.kind.mimeType,
          size_bytes: doc.bytes.byteLength,
          access_level: doc.access,
          needs_review: doc.needsReview,
          uploaded_by_staff_id: staffUserIdOf(tx.actor),
          uploaded_via: doc.uploadedVia,
          created_at: tx.clock.now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(tx, {
        action: 'document.add',
        entity: 'document',
        entityId: row.id,
        patientId: doc.patientId,
        after: {
          docType: row.doc_type,
          accessLevel: row.access_level,
          mimeType: row.mime_type,
          sizeBytes: row.size_bytes,
          therapySessionId: row.therapy_session_id,
          via: row.uploaded_via,
        },
      });
      return { ...documentJson(row), storedOnce: !created };
    } catch (error) {
      // Holding the content's lock: nobody else can have started to rely on what was just written.
      if (created) await store.delete(sha256);
      throw error;
    }
  });
}

interface DocumentRow {
  id: number;
  patient_id: number;
  therapy_session_id: number | null;
  doc_type: string;
  sha256: string;
  original_name: string;
  mime_type: string;
  size_bytes: number;
  access_level: DocumentAccess;
  needs_review: boolean;
  uploaded_via: string;
  created_at: Date;
}

export function documentJson(row: DocumentRow) {
  return {
    id: row.id,
    patientId: row.patient_id,
    therapySessionId: row.therapy_session_id,
    docType: row.doc_type,
    name: row.original_name,
    mimeType: row.mime_type,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    access: row.access_level,
    needsReview: row.needs_review,
    uploadedVia: row.uploaded_via,
    addedAt: row.created_at,
  };
}

/**
 * The session notes a document belongs to, found by the session's appointment (the patient's own).
 * Only the id is looked up (located, not read: a receptionist may file a paper to a session whose
 * notes they may not read).
 */
async function sessionOf(ctx: DomainContext, appointmentId: number, patientId: number): Promise<number> {
  const appointment = await ctx.db.selectFrom('appointments').select(['appointment_number', 'patient_id']).where('id', '=', appointmentId).executeTakeFirst();
  const session = appointment ? await locateClinicalRecord(ctx, 'therapy_session_of_appointment', appointmentId) : undefined;
  const row = appointment && { ...appointment, session_id: session?.id ?? null };
  if (!row || row.patient_id !== patientId) throw new NotFoundError(`No appointment ${appointmentId} of this patient.`);
  if (row.session_id === null) {
    throw new InvalidInputError(`${row.appointment_number} has no session notes yet; write them first (\`roshni notes add ${row.appointment_number}\`).`);
  }
  return row.session_id;
}

const addInput = z.object({
  patientId: z.number().int().positive(),
  bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be the file’s bytes'),
  originalName: documentName,
  docType: z.enum(DOCUMENT_TYPES, { error: `must be one of ${DOCUMENT_TYPES.join(', ')}` }),
  access: z.enum(ACCESS_LEVELS, { error: `must be one of ${ACCESS_LEVELS.join(', ')}` }).optional(),
  appointmentId: z.number().int().positive().optional(),
});
export type AddDocumentInput = z.input<typeof addInput>;

/**
 * Files a document for a patient (staff, from the CLI). Refused before anything is written: a name
 * with a path in it, an empty or too large file, a type not kept, an access level the actor may
 * not handle.
 */
export async function addDocument(ctx: DomainContext, raw: AddDocumentInput) {
  const input = parseInput(addInput, raw);
  const access = input.access ?? DEFAULT_ACCESS[input.docType];
  await requireDocumentAccess(ctx, 'document.add', { patientId: input.patientId, level: access });
  await requireLivePatient(ctx, input.patientId);
  const kind = await checkContent(ctx, input.bytes);
  const therapySessionId = input.appointmentId === undefined ? null : await sessionOf(ctx, input.appointmentId, input.patientId);
  return storeDocument(ctx, {
    patientId: input.patientId,
    bytes: input.bytes,
    kind,
    originalName: input.originalName,
    docType: input.docType,
    access,
    therapySessionId,
    needsReview: false,
    uploadedVia: 'cli',
  });
}

/** A patient's documents the actor may see, newest first; the listing is audited (it names clinical papers). */
export async function listDocuments(ctx: DomainContext, raw: { patientId: number }) {
  const { patientId } = parseInput(z.object({ patientId: z.number().int().positive() }), raw);
  const levels = await requireDocumentAccess(ctx, 'document.read', { patientId });
  await requireLivePatient(ctx, patientId);
  return inTransaction(ctx, async (tx) => {
    const rows = await tx.db
      .selectFrom('documents as d')
      .leftJoin('therapy_sessions as s', 's.id', 'd.therapy_session_id')
      .leftJoin('appointments as a', 'a.id', 's.appointment_id')
      .selectAll('d')
      .select('a.appointment_number')
      .where('d.patient_id', '=', patientId)
      .where('d.removed_at', 'is', null)
      .where('d.access_level', 'in', [...levels])
      .orderBy('d.created_at', 'desc')
      .orderBy('d.id', 'desc')
      .execute();
    await recordAudit(tx, { action: 'document.list', entity: 'patient', entityId: patientId, patientId, meta: { documentIds: rows.map((r) => r.id) } });
    return rows.map((r) => ({ ...documentJson(r), appointmentNumber: r.appointment_number }));
  });
}

/**
 * Whose a document is and its level, to decide access: located for anyone (row security would make a
 * refused document look missing; migration 0017); what is then returned is read under the actor's own rights.
 */
async function documentFacts(ctx: DomainContext, documentId: number) {
  const { rows } = await sql<{
    id: number;
    patient_id: number;
    access_level: DocumentAccess;
    sha256: string;
    removed_at: Date | null;
    removed_reason: string | null;
  }>`SELECT * FROM roshni_document_facts(${documentId})`.execute(ctx.db);
  const row = rows[0];
  if (!row) throw new NotFoundError(`No document ${documentId}.`);
  return row;
}

async function documentRow(ctx: DomainContext, documentId: number) {
  const row = await ctx.db.selectFrom('documents').selectAll().where('id', '=', documentId).executeTakeFirst();
  if (!row) throw new ForbiddenError(`Document ${documentId} is not yours to handle.`);
  return row;
}

/**
 * One document and its content, checked against its hash; the read is audited. A staff member
 * with access opening a document sent from a chat marks it reviewed.
 */
export async function getDocument(ctx: DomainContext, raw: { documentId: number }) {
  const { documentId } = parseInput(z.object({ documentId: z.number().int().positive() }), raw);
  const facts = await documentFacts(ctx, documentId);
  await requireDocumentAccess(ctx, 'document.read', { patientId: facts.patient_id, level: facts.access_level, documentId });
  if (facts.removed_at) throw new NotFoundError(`Document ${documentId} was removed (${facts.removed_reason}).`);
  const store = requireDocumentStore(ctx);
  return inTransaction(ctx, async (tx) => {
    const row = await documentRow(tx, documentId);
    const bytes = await store.get(row.sha256);
    if (!bytes)
      throw new ConflictError(`The content of document ${documentId} is missing from the document store; restore it from a backup of the documents folder.`);
    if (sha256Of(bytes) !== row.sha256)
      throw new ConflictError(`The stored content of document ${documentId} is damaged (its SHA-256 does not match); restore it from a backup.`);
    const reviewed = row.needs_review && tx.actor.kind === 'staff';
    if (reviewed) await tx.db.updateTable('documents').set({ needs_review: false }).where('id', '=', documentId).execute();
    await recordAudit(tx, {
      action: 'document.read',
      entity: 'document',
      entityId: documentId,
      patientId: row.patient_id,
      meta: { accessLevel: row.access_level, ...(reviewed ? { reviewed: true } : {}) },
    });
    return { document: { ...documentJson(row), needsReview: row.needs_review && !reviewed }, bytes };
  });
}

const removeInput = z.object({
  documentId: z.number().int().positive(),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(500, 'is longer than 500 characters'),
});

/** Removes a document (kept as a row with the reason); its content goes once no live document shares it. */
export async function removeDocument(ctx: DomainContext, raw: z.input<typeof removeInput>) {
  const input = parseInput(removeInput, raw);
  const row = await documentFacts(ctx, input.documentId);
  await requireDocumentAccess(ctx, 'document.remove', { patientId: row.patient_id, level: row.access_level, documentId: row.id });
  if (row.removed_at) throw new ConflictError(`Document ${row.id} is already removed.`);
  return inTransaction(ctx, async (tx) => {
    const removed = await tx.db
      .updateTable('documents')
      .set({ removed_at: tx.clock.now(), removed_reason: input.reason, removed_by_staff_id: staffUserIdOf(tx.actor) })
      .where('id', '=', row.id)
      .where('removed_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!removed) throw new ConflictError(`Document ${row.id} is already removed.`);
    await recordAudit(tx, {
      action: 'document.remove',
      entity: 'document',
      entityId: row.id,
      patientId: row.patient_id,
      before: { removed: false },
      after: { removed: true },
    });
    const contentDeleted = await releaseContent(tx, row.sha256);
    return { id: row.id, patientId: row.patient_id, contentDeleted };
  });
}
