import { fileTypeFromBuffer } from 'file-type';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { sha256Of } from '../documents/document-store.js';
import { requireDocumentStore } from '../documents/document-content.js';
import { extensionOf } from '../documents/file-kind.js';
import { patientExportRows } from './export-rows.js';
import { EXPORT_SECTIONS, type ExportSectionName } from './export-sections.js';

// The right to access (DPDP Act 2023, s.11): everything the clinic holds about one patient, as
// files for a zip with a manifest. Only rows of this patient (and the guardians linked to them,
// without their other children): a sibling sharing a guardian appears nowhere. Each section is
// the rows as stored (every column), so what is exported is what is kept. What the export covers,
// and what it leaves out, is one list: export-sections.ts.

export interface ExportEntry {
  /** Path inside the archive: made by Roshni from ids and types, never from a stored name. */
  path: string;
  description: string;
  read(): Promise<Uint8Array>;
}

export interface PatientExport {
  patient: { id: number; patientNumber: string };
  generatedAt: Date;
  entries: ExportEntry[];
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** Gathers the patient's data (as an admin: every clinical row) and audits the export. */
export async function exportPatientData(ctx: DomainContext, raw: { patientId: number }): Promise<PatientExport> {
  authorize(ctx.actor, 'patient.export');
  const { patientId } = parseInput(z.object({ patientId: z.number().int().positive() }), raw);
  const store = requireDocumentStore(ctx);
  return inTransaction(ctx, async (tx) => {
    const patient = await tx.db.selectFrom('patients').selectAll().where('id', '=', patientId).where('erased_at', 'is', null).executeTakeFirst();
    if (!patient) throw new NotFoundError(`No patient with id ${patientId}.`);
    const { rows, documents, chatFiles } = await patientExportRows(tx.db, patientId);
    const rowsOf: Record<ExportSectionName, unknown> = { profile: patient, ...rows };
    const sections = EXPORT_SECTIONS.map((s) => [s.name, s.description, rowsOf[s.name]] as const);

    const entries: ExportEntry[] = sections.map(([name, description, rows]) => ({
      path: `data/${name}.json`,
      description,
      read: async () => json(rows),
    }));
    for (const doc of documents.filter((d) => d.removed_at === null)) {
      entries.push({
        path: `documents/${doc.id}.${extensionOf(doc.mime_type)}`,
        description: `Document ${doc.id} (${doc.doc_type})`,
        read: async () => {
          const bytes = await store.get(doc.sha256);
          if (!bytes || sha256Of(bytes) !== doc.sha256) {
            throw new ConflictError(`The content of document ${doc.id} is missing or damaged in the document store; restore it before exporting.`);
          }
          return bytes;
        },
      });
    }
    for (const file of chatFiles) {
      const kind = await fileTypeFromBuffer(file.content).catch(() => undefined);
      entries.push({
        path: `chat-files/${file.id}.${kind?.ext ?? 'bin'}`,
        description: `File ${file.id} sent in chat ${file.conversation_id}, not yet filed`,
        read: async () => new Uint8Array(file.content),
      });
    }
    await recordAudit(tx, {
      action: 'patient.export',
      entity: 'patient',
      entityId: patientId,
      patientId,
      meta: { sections: sections.map(([name]) => name), documentIds: documents.filter((d) => d.removed_at === null).map((d) => d.id) },
    });
    return { patient: { id: patient.id, patientNumber: patient.patient_number }, generatedAt: tx.clock.now(), entries };
  });
}
