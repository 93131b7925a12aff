import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { sha256Of } from '../documents/document-store.js';
import { requireDocumentStore } from '../documents/documents.js';
import { extensionOf } from '../documents/file-kind.js';

// The right to access (DPDP Act 2023, s.11): everything the clinic holds about one patient, as
// files for a zip with a manifest. Only rows of this patient (and the guardians linked to them,
// without their other children): a sibling sharing a guardian appears nowhere. Each section is
// the rows as stored (every column), so what is exported is what is kept.

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
    const { db } = tx;
    const patient = await db.selectFrom('patients').selectAll().where('id', '=', patientId).where('erased_at', 'is', null).executeTakeFirst();
    if (!patient) throw new NotFoundError(`No patient with id ${patientId}.`);
    const guardianIds = db.selectFrom('patient_guardians').select('guardian_id').where('patient_id', '=', patientId);
    const appointmentIds = db.selectFrom('appointments').select('id').where('patient_id', '=', patientId);
    const paymentIds = db.selectFrom('payments').select('id').where('patient_id', '=', patientId);
    const refundIds = db.selectFrom('refunds').select('id').where('payment_id', 'in', paymentIds);
    const conversations = await db.selectFrom('bot_conversations').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const goals = await db.selectFrom('goals').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const documents = await db.selectFrom('documents').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();

    const sections: Array<[string, string, unknown]> = [
      ['profile', 'The patient’s record', patient],
      [
        'guardians',
        'Parents and guardians linked to the patient, with the relationship',
        await db
          .selectFrom('patient_guardians as pg')
          .innerJoin('guardians as g', 'g.id', 'pg.guardian_id')
          .selectAll('g')
          .select(['pg.relationship', 'pg.is_primary', 'pg.created_at as linked_at'])
          .where('pg.patient_id', '=', patientId)
          .orderBy('g.id')
          .execute(),
      ],
      [
        'consents',
        'Consents about the patient, and the guardians’ own (purpose, channel, notice, granted, withdrawn)',
        await db
          .selectFrom('consents')
          .selectAll()
          .where((eb) => eb.or([eb('patient_id', '=', patientId), eb.and([eb('patient_id', 'is', null), eb('guardian_id', 'in', guardianIds)])]))
          .orderBy('id')
          .execute(),
      ],
      [
        'appointments',
        'Appointments, with the therapist and service',
        await db
          .selectFrom('appointments as a')
          .innerJoin('therapists as t', 't.id', 'a.therapist_id')
          .innerJoin('services as s', 's.id', 'a.service_id')
          .selectAll('a')
          .select(['t.full_name as therapist_name', 's.name as service_name'])
          .where('a.patient_id', '=', patientId)
          .orderBy('a.starts_at')
          .execute(),
      ],
      ['appointment-series', 'Weekly series booked', await db.selectFrom('appointment_series').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
      ['waitlist', 'Waitlist entries', await db.selectFrom('waitlist_entries').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
      ['packages', 'Session packages', await db.selectFrom('patient_packages').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
      ['package-draws', 'Sessions drawn from packages', await db.selectFrom('package_draws').selectAll().where('appointment_id', 'in', appointmentIds).orderBy('id').execute()],
      ['payments', 'Payments', await db.selectFrom('payments').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
      ['refunds', 'Refunds', await db.selectFrom('refunds').selectAll().where('payment_id', 'in', paymentIds).orderBy('id').execute()],
      [
        'receipts',
        'Receipts and credit notes, as issued',
        await db
          .selectFrom('receipts')
          .selectAll()
          .where((eb) => eb.or([eb('payment_id', 'in', paymentIds), eb('refund_id', 'in', refundIds)]))
          .orderBy('id')
          .execute(),
      ],
      ['session-notes', 'Therapy session notes', await db.selectFrom('therapy_sessions').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
      ['assessments', 'Assessments, their findings and scores', await db.selectFrom('assessments').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
      ['goals', 'Therapy goals', goals],
      [
        'goal-measurements',
        'Measurements of the goals',
        goals.length ? await db.selectFrom('goal_measurements').selectAll().where('goal_id', 'in', goals.map((g) => g.id)).orderBy('id').execute() : [],
      ],
      ['documents', 'Documents (the files themselves are in documents/)', documents],
      [
        'messages',
        'Messages the clinic sent or meant to send about the patient',
        await db
          .selectFrom('notifications')
          .selectAll()
          .where((eb) => eb.or([eb('patient_id', '=', patientId), eb('appointment_id', 'in', appointmentIds)]))
          .orderBy('id')
          .execute(),
      ],
      ['chats', 'The patient’s own chats with the clinic’s bots', conversations],
      [
        'chat-messages',
        'Messages of those chats handed to the clinic',
        conversations.length ? await db.selectFrom('inbox_messages').selectAll().where('conversation_id', 'in', conversations.map((c) => c.id)).orderBy('id').execute() : [],
      ],
      ['audit', 'The audit log’s entries about the patient', await db.selectFrom('audit_log').selectAll().where('patient_id', '=', patientId).orderBy('id').execute()],
    ];

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
