import { sql } from 'kysely';
import { fileTypeFromBuffer } from 'file-type';
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
//
// EXPORT_SECTIONS (what each file holds, from which tables) and NOT_EXPORTED (tables about people
// left out, and why) are the one list of what the export covers: tests/data-rights/export-coverage
// reads the schema and fails when a table that refers to a patient or a guardian (directly or
// through other tables) is in neither.

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

/** The files of data/, in order: which tables each is read from, and which of their rows. */
export const EXPORT_SECTIONS = [
  { name: 'profile', tables: ['patients'], description: 'The patient’s record' },
  {
    name: 'guardians',
    tables: ['guardians', 'patient_guardians'],
    description: 'Parents and guardians linked to the patient, with the relationship (not their links to other children)',
  },
  {
    name: 'consents',
    tables: ['consents'],
    description: 'Consents about the patient, and the guardians’ own (purpose, channel, notice, granted, withdrawn); not those about other children',
  },
  { name: 'treating-therapists', tables: ['patient_therapists'], description: 'The therapists assigned to treat the patient' },
  { name: 'appointments', tables: ['appointments'], description: 'Appointments, with the therapist and service' },
  { name: 'appointment-series', tables: ['appointment_series'], description: 'Weekly series booked' },
  { name: 'waitlist', tables: ['waitlist_entries'], description: 'Waitlist entries' },
  { name: 'waitlist-offers', tables: ['waitlist_offers'], description: 'Places offered from the waitlist, and how each offer ended' },
  { name: 'packages', tables: ['patient_packages'], description: 'Session packages' },
  { name: 'package-draws', tables: ['package_draws'], description: 'Sessions drawn from packages' },
  { name: 'payments', tables: ['payments'], description: 'Payments' },
  { name: 'refunds', tables: ['refunds'], description: 'Refunds' },
  { name: 'receipts', tables: ['receipts'], description: 'Receipts and credit notes, as issued' },
  {
    name: 'payment-gateway-events',
    tables: ['webhook_events'],
    description: 'Notices from the payment gateway (Razorpay) about the patient’s payments and refunds, as received',
  },
  { name: 'session-notes', tables: ['therapy_sessions'], description: 'Therapy session notes' },
  { name: 'assessments', tables: ['assessments'], description: 'Assessments, their findings and scores' },
  { name: 'goals', tables: ['goals'], description: 'Therapy goals' },
  { name: 'goal-measurements', tables: ['goal_measurements'], description: 'Measurements of the goals' },
  { name: 'documents', tables: ['documents'], description: 'Documents (the files themselves are in documents/)' },
  {
    name: 'messages',
    tables: ['notifications'],
    description:
      'Messages the clinic sent or meant to send about the patient, to the patient or a guardian: about their appointments, payments, refunds, series and waitlist offers, and the clinic’s replies in the chats below',
  },
  {
    name: 'chats',
    tables: ['bot_conversations'],
    description:
      'The patient’s own chats with the clinic’s bots, and those of a guardian linked to this patient only (a guardian of other children too is left out: their chats are also about those children)',
  },
  { name: 'chat-messages', tables: ['inbox_messages'], description: 'Messages of those chats handed to the clinic' },
  {
    name: 'chat-files',
    tables: ['pending_chat_documents'],
    description: 'Files sent in those chats and not yet filed to a record (the files themselves are in chat-files/)',
  },
  {
    name: 'audit',
    tables: ['audit_log'],
    description:
      'The audit log’s entries about the patient: those naming the patient, those about the patient’s own records (appointments, payments, refunds, waitlist entries and offers, documents, messages, chats…) and the patient’s own actions, and those about the guardians above as people (never their entries about another child)',
  },
] as const;

export type ExportSectionName = (typeof EXPORT_SECTIONS)[number]['name'];

/** Tables that refer to patients or guardians but are not exported, each with the reason. */
export const NOT_EXPORTED: Readonly<Record<string, string>> = {
  // Every other table that refers to a person is exported (see EXPORT_SECTIONS for which rows).
  // A table added here must say why, e.g. "staff sign-in sessions: about staff, never a patient".
  erasure_ledger: 'the record that a patient was erased (ids, times, who): it exists only once the patient is erased, when there is no one left to export',
  updates_in_hand:
    'messages a bot has taken and not yet answered, kept for seconds (until the next start after a crash); once answered, what they did is in the chats above',
};

/**
 * Rows of exported tables that are left out on purpose: each about another person as much as about
 * this patient, or about them alone. Said here so that the export's limits are decided, not forgotten.
 */
export const ROWS_NOT_EXPORTED: ReadonlyArray<{ tables: readonly string[]; rows: string; reason: string }> = [
  {
    tables: ['bot_conversations', 'inbox_messages', 'pending_chat_documents', 'notifications'],
    rows: 'the chats (their messages, waiting files and the clinic’s replies) of a guardian who has another child here',
    reason: 'the guardian’s own conversation, about all their children (a sibling is named in it); the guardian’s, not this patient’s alone',
  },
  {
    tables: ['patient_guardians', 'consents', 'appointments', 'notifications', 'audit_log'],
    rows: 'a shared guardian’s links, consents, bookings, messages and audit entries about another child',
    reason: 'they are the other child’s data',
  },
  {
    tables: ['audit_log'],
    rows: 'entries recorded without a patient id whose entity is nothing in this export (e.g. a guardian acting on a slot)',
    reason: 'nothing in them says which child they are about',
  },
];

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
const ids = (rows: ReadonlyArray<{ id: number }>) => rows.map((r) => r.id);

/** Gathers the patient's data (as an admin: every clinical row) and audits the export. */
export async function exportPatientData(ctx: DomainContext, raw: { patientId: number }): Promise<PatientExport> {
  authorize(ctx.actor, 'patient.export');
  const { patientId } = parseInput(z.object({ patientId: z.number().int().positive() }), raw);
  const store = requireDocumentStore(ctx);
  return inTransaction(ctx, async (tx) => {
    const { db } = tx;
    const patient = await db.selectFrom('patients').selectAll().where('id', '=', patientId).where('erased_at', 'is', null).executeTakeFirst();
    if (!patient) throw new NotFoundError(`No patient with id ${patientId}.`);
    // `in` over an empty list is no SQL: these read nothing then.
    const none = <T>(list: readonly unknown[], read: () => Promise<T[]>) => (list.length ? read() : Promise.resolve([] as T[]));

    const guardians = await db
      .selectFrom('patient_guardians as pg')
      .innerJoin('guardians as g', 'g.id', 'pg.guardian_id')
      .selectAll('g')
      .select(['pg.relationship', 'pg.is_primary', 'pg.created_at as linked_at'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('patient_guardians as other')
              .select('other.patient_id')
              .whereRef('other.guardian_id', '=', 'g.id')
              .where('other.patient_id', '<>', patientId),
          )
          .as('has_other_children'),
      )
      .where('pg.patient_id', '=', patientId)
      .orderBy('g.id')
      .execute();
    const guardianIds = ids(guardians);
    // A guardian of this patient only: their chats are about this patient (and erased with them).
    const soleGuardianIds = ids(guardians.filter((g) => !g.has_other_children));

    const appointments = await db
      .selectFrom('appointments as a')
      .innerJoin('therapists as t', 't.id', 'a.therapist_id')
      .innerJoin('services as s', 's.id', 'a.service_id')
      .selectAll('a')
      .select(['t.full_name as therapist_name', 's.name as service_name'])
      .where('a.patient_id', '=', patientId)
      .orderBy('a.starts_at')
      .orderBy('a.id')
      .execute();
    const appointmentIds = ids(appointments);
    const series = await db.selectFrom('appointment_series').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const waitlist = await db.selectFrom('waitlist_entries').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const offers = await none(ids(waitlist), () => db.selectFrom('waitlist_offers').selectAll().where('entry_id', 'in', ids(waitlist)).orderBy('id').execute());
    const packages = await db.selectFrom('patient_packages').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const draws = await none([...appointmentIds, ...ids(packages)], () =>
      db
        .selectFrom('package_draws')
        .selectAll()
        .where((eb) =>
          eb.or([
            ...(appointmentIds.length ? [eb('appointment_id', 'in', appointmentIds)] : []),
            ...(packages.length ? [eb('package_id', 'in', ids(packages))] : []),
          ]),
        )
        .orderBy('id')
        .execute(),
    );
    const payments = await db.selectFrom('payments').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const refunds = await none(ids(payments), () => db.selectFrom('refunds').selectAll().where('payment_id', 'in', ids(payments)).orderBy('id').execute());
    const receipts = await none(ids(payments), () =>
      db
        .selectFrom('receipts')
        .selectAll()
        .where((eb) => eb.or([eb('payment_id', 'in', ids(payments)), ...(refunds.length ? [eb('refund_id', 'in', ids(refunds))] : [])]))
        .orderBy('id')
        .execute(),
    );
    // The gateway's own ids of this patient's payments and refunds, as JSON strings in its notices.
    const gatewayRefs = [
      ...payments.flatMap((p) => [p.razorpay_payment_id, p.razorpay_order_id, p.razorpay_payment_link_id]),
      ...refunds.map((r) => r.razorpay_refund_id),
    ].filter((v): v is string => Boolean(v));
    const gatewayEvents = await none(gatewayRefs, () =>
      db
        .selectFrom('webhook_events')
        .selectAll()
        .where((eb) => eb.or(gatewayRefs.map((ref) => eb(sql`payload::text`, 'like', `%${JSON.stringify(ref).replace(/[%_\\]/g, '\\$&')}%`))))
        .orderBy('id')
        .execute(),
    );
    const sessionNotes = await db.selectFrom('therapy_sessions').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const assessments = await db.selectFrom('assessments').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const goals = await db.selectFrom('goals').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const measurements = await none(ids(goals), () =>
      db.selectFrom('goal_measurements').selectAll().where('goal_id', 'in', ids(goals)).orderBy('id').execute(),
    );
    const documents = await db.selectFrom('documents').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
    const consents = await db
      .selectFrom('consents')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('patient_id', '=', patientId),
          ...(guardianIds.length ? [eb.and([eb('patient_id', 'is', null), eb('guardian_id', 'in', guardianIds)])] : []),
        ]),
      )
      .orderBy('id')
      .execute();
    const treatingTherapists = await db.selectFrom('patient_therapists').selectAll().where('patient_id', '=', patientId).orderBy('therapist_id').execute();

    const conversations = await db
      .selectFrom('bot_conversations')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('patient_id', '=', patientId),
          ...(soleGuardianIds.length ? [eb.and([eb('patient_id', 'is', null), eb('guardian_id', 'in', soleGuardianIds)])] : []),
        ]),
      )
      .orderBy('id')
      .execute();
    const conversationIds = ids(conversations);
    const chatMessages = await none(conversationIds, () =>
      db.selectFrom('inbox_messages').selectAll().where('conversation_id', 'in', conversationIds).orderBy('id').execute(),
    );
    const chatFiles = await none(conversationIds, () =>
      db.selectFrom('pending_chat_documents').selectAll().where('conversation_id', 'in', conversationIds).orderBy('id').execute(),
    );

    // Messages about the patient (the outbox records whom each is about, migration 0024, whoever it
    // went to), and the clinic's replies in the chats above.
    const messages = await db
      .selectFrom('notifications')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('about_patient_id', '=', patientId),
          ...(conversationIds.length ? [eb.and([eb('kind', '=', 'staff_reply'), eb(sql`payload->>'conversationId'`, 'in', conversationIds.map(String))])] : []),
        ]),
      )
      .orderBy('id')
      .execute();

    // The audit log: entries naming the patient, and those recorded without a patient id about this
    // patient's records, the patient's own actions, or the guardians exported above as people.
    const about: Array<[string, Array<string | number>]> = [
      ['patient', [patientId]],
      ['guardian', guardianIds],
      ['patient_guardian', guardianIds.map((g) => `${patientId}:${g}`)],
      ['appointment', appointmentIds],
      ['appointment_series', ids(series)],
      ['waitlist_entry', ids(waitlist)],
      ['waitlist_offer', ids(offers)],
      ['patient_package', ids(packages)],
      ['payment', ids(payments)],
      ['refund', ids(refunds)],
      ['receipt', ids(receipts)],
      ['therapy_session', ids(sessionNotes)],
      ['assessment', ids(assessments)],
      ['goal', ids(goals)],
      ['document', ids(documents)],
      ['consent', ids(consents)],
      ['notification', ids(messages)],
      ['bot_conversation', conversationIds],
    ];
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('patient_id', '=', patientId),
          eb.and([
            eb('patient_id', 'is', null),
            eb.or([
              eb.and([eb('actor_kind', '=', 'patient'), eb('actor_id', '=', patientId)]),
              ...about.filter(([, list]) => list.length).map(([entity, list]) => eb.and([eb('entity', '=', entity), eb('entity_id', 'in', list.map(String))])),
            ]),
          ]),
        ]),
      )
      .orderBy('id')
      .execute();

    const rowsOf: Record<ExportSectionName, unknown> = {
      profile: patient,
      guardians: guardians.map(({ has_other_children: _, ...g }) => g),
      consents,
      'treating-therapists': treatingTherapists,
      appointments,
      'appointment-series': series,
      waitlist,
      'waitlist-offers': offers,
      packages,
      'package-draws': draws,
      payments,
      refunds,
      receipts,
      'payment-gateway-events': gatewayEvents,
      'session-notes': sessionNotes,
      assessments,
      goals,
      'goal-measurements': measurements,
      documents,
      messages,
      chats: conversations,
      'chat-messages': chatMessages,
      // The content is a file of its own (chat-files/); here its size and fingerprint.
      'chat-files': chatFiles.map(({ content, ...f }) => ({ ...f, size_bytes: content.length, sha256: sha256Of(content) })),
      audit,
    };
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
