import { sql, type Kysely } from 'kysely';
import type { DB } from '../../infra/db/schema.js';
import { sha256Of } from '../documents/document-store.js';
import type { ExportSectionName } from './export-sections.js';

// The rows of one patient's export (export.ts), section by section: only rows of this patient and
// of the guardians linked to them, never a sibling's (export-sections.ts says what is left out).

const ids = (rows: ReadonlyArray<{ id: number }>) => rows.map((r) => r.id);

/** Every exported row about the patient, by section (but the profile, which the caller holds), with the documents and chat files to add as files. */
export async function patientExportRows(db: Kysely<DB>, patientId: number) {
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
  const measurements = await none(ids(goals), () => db.selectFrom('goal_measurements').selectAll().where('goal_id', 'in', ids(goals)).orderBy('id').execute());
  const documents = await db.selectFrom('documents').selectAll().where('patient_id', '=', patientId).orderBy('id').execute();
  const consents = await db
    .selectFrom('consents')
    .selectAll()
    .where((eb) =>
      eb.or([eb('patient_id', '=', patientId), ...(guardianIds.length ? [eb.and([eb('patient_id', 'is', null), eb('guardian_id', 'in', guardianIds)])] : [])]),
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
  const audit = await auditEntriesAbout(db, patientId, about);

  const rows: Omit<Record<ExportSectionName, unknown>, 'profile'> = {
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
  return { rows, documents, chatFiles };
}

/** The audit log's entries naming the patient, and those without a patient id about one of `about`'s entities or by the patient. */
function auditEntriesAbout(db: Kysely<DB>, patientId: number, about: Array<[string, Array<string | number>]>) {
  return db
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
}
