import type { DocumentAccess } from '../../infra/db/schema.js';
import { staffUserIdOf } from '../actor.js';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { lockContent, requireDocumentStore } from './document-content.js';
import type { DocumentType, UploadChannel } from './document-fields.js';
import { sha256Of } from './document-store.js';
import type { FileKind } from './file-kind.js';

// Filing a document, whatever the door (the CLI, a chat): its content and its row, audited; and a
// document as the doors show it.

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
