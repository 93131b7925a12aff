import { sql } from 'kysely';
import { z } from 'zod';
import type { DocumentAccess } from '../../infra/db/schema.js';
import { staffUserIdOf } from '../actor.js';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { requireLivePatient } from '../people/live-patient.js';
import { locateClinicalRecord } from '../clinical/access.js';
import { ACCESS_LEVELS, requireDocumentAccess } from './access.js';
import { checkContent, releaseContent, requireDocumentStore } from './document-content.js';
import { DEFAULT_ACCESS, DOCUMENT_TYPES, documentName } from './document-fields.js';
import { sha256Of } from './document-store.js';
import { documentJson, storeDocument } from './store-document.js';

// A patient's documents: reports, prescriptions, referrals, scans, recordings. The content is kept
// once per SHA-256 in the document store; the row says whose it is, what it is (type, MIME type
// detected from the content), who may see it (access level) and where it came from. The original
// name is kept as data for display only, never as a path.
//
// What a document is: document-fields.ts; its content: document-content.ts; filing one: store-document.ts.

// What the doors use beside the operations below.
export { checkContent, readableSize } from './document-content.js';
export { DOCUMENT_TYPES, type DocumentType } from './document-fields.js';

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
