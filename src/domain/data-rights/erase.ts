import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { releaseContent } from '../documents/document-content.js';
import { cancelOpenLinksAtRazorpay, ERASURE_REASON, withdrawPending } from './erase-pending.js';
import { scrubAuditEntries, scrubKeptGuardiansChats, scrubMoney } from './erase-free-text.js';
import { ERASED, ERASED_GUARDIAN_NAME, ERASED_PATIENT_NAME, scrubberFor, type Identity } from './scrub.js';
import { recordErasure, type EraseOptions } from './erasure-ledger.js';
import { forgetChatsUpdatesInHand } from '../messaging/updates-in-hand.js';

// The right to erasure (DPDP Act 2023, s.12): a patient's personal data is erased or made
// anonymous, in one transaction, audited with the reason. Kept, because the law requires the
// clinic's books: payments, refunds and receipts with their amounts, numbers and dates (the
// patient there becomes "Erased patient" and their P-number). Kept too: ids, dates and states that
// say nothing about the person (appointments happened, consents were given and withdrawn). A
// guardian linked to another patient still in care is kept; one linked only to this patient is
// erased with them. Documents' contents are deleted unless another patient's document has the
// same content. What was still pending about them (messages, waitlist offers, payment requests) is
// withdrawn in the same transaction.

const eraseInput = z.object({
  patientId: z.number().int().positive(),
  reason: z.string().trim().min(3, 'must say why (at least 3 characters)').max(500, 'is longer than 500 characters'),
});

const anonymousPerson = (name: string, now: Date) => ({
  full_name: name,
  phone: null,
  email: null,
  telegram_chat_id: null,
  whatsapp_id: null,
  preferred_channel: null,
  reminders_opted_out_at: now,
  erased_at: now,
});

/**
 * Erases the patient's personal data; returns what was done (counts and ids only). `options.reapplying`:
 * an erasure the ledger recorded, applied again after a restore (src/domain/data-rights/reapply-erasures.ts).
 */
export async function erasePatient(ctx: DomainContext, raw: z.input<typeof eraseInput>, options: EraseOptions = {}) {
  authorize(ctx.actor, 'patient.erase');
  const input = parseInput(eraseInput, raw);
  // Refused before anything is cancelled at Razorpay (and again inside, against a booking meanwhile).
  const before = await ctx.db
    .selectFrom('patients')
    .select(['id', 'patient_number'])
    .where('id', '=', input.patientId)
    .where('erased_at', 'is', null)
    .executeTakeFirst();
  if (!before) throw new NotFoundError(`No patient with id ${input.patientId}.`);
  await refuseWhileUpcoming(ctx, before);
  // Applied again after a restore, the links were cancelled at Razorpay the first time: only our rows remain to cancel.
  if (!options.reapplying) await cancelOpenLinksAtRazorpay(ctx, input.patientId);
  const result = await inTransaction(ctx, async (tx) => {
    const { db } = tx;
    const now = tx.clock.now();
    const patient = await db.selectFrom('patients').selectAll().where('id', '=', input.patientId).where('erased_at', 'is', null).forUpdate().executeTakeFirst();
    if (!patient) throw new NotFoundError(`No patient with id ${input.patientId}.`);
    await refuseWhileUpcoming(tx, patient);
    const guardians = await db
      .selectFrom('patient_guardians as pg')
      .innerJoin('guardians as g', 'g.id', 'pg.guardian_id')
      .select(['g.id', 'g.full_name', 'g.phone', 'g.email', 'g.erased_at'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('patient_guardians as other')
              .innerJoin('patients as op', 'op.id', 'other.patient_id')
              .select('other.patient_id')
              .whereRef('other.guardian_id', '=', 'g.id')
              .where('other.patient_id', '<>', patient.id)
              .where('op.erased_at', 'is', null),
          )
          .as('shared'),
      )
      .where('pg.patient_id', '=', patient.id)
      .execute();
    const erasedGuardians = guardians.filter((g) => !g.shared && g.erased_at === null);
    const keptGuardians = guardians.filter((g) => g.shared);
    const erasedPeople: Identity[] = [patient, ...erasedGuardians];
    // The patient's own records lose every word of the names; the records of people kept (a guardian
    // with another child here) lose the erased child's name, never a word of the names kept with them.
    const ownRecords = scrubberFor(erasedPeople);
    const keptRecords = scrubberFor(erasedPeople, {
      keepWords: await namesKeptWith(
        tx,
        patient.id,
        keptGuardians.map((g) => g.id),
      ),
    });
    const ids = {
      appointments: db.selectFrom('appointments').select('id').where('patient_id', '=', patient.id),
      guardians: erasedGuardians.map((g) => g.id),
    };

    // Whatever was still to happen for them: withdrawn first, so nothing below is sent or offered.
    const withdrawn = await withdrawPending(tx, patient.id, ids.guardians);

    // The people.
    await db
      .updateTable('patients')
      .set({ ...anonymousPerson(ERASED_PATIENT_NAME, now), date_of_birth: null, gender: null })
      .where('id', '=', patient.id)
      .execute();
    if (ids.guardians.length) await db.updateTable('guardians').set(anonymousPerson(ERASED_GUARDIAN_NAME, now)).where('id', 'in', ids.guardians).execute();
    await db
      .updateTable('consents')
      .set({ withdrawn_at: now })
      .where('withdrawn_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('patient_id', '=', patient.id),
          ...(ids.guardians.length ? [eb.and([eb('patient_id', 'is', null), eb('guardian_id', 'in', ids.guardians)])] : []),
        ]),
      )
      .execute();

    // Clinical records: the text and data go, the rows (ids, dates, attendance) stay.
    await db
      .updateTable('therapy_sessions')
      .set({
        objectives: null,
        activities: null,
        materials: null,
        observations: null,
        progress_notes: null,
        homework: null,
        next_plan: null,
        patient_response: null,
      })
      .where('patient_id', '=', patient.id)
      .execute();
    await db.updateTable('assessments').set({ data: '{}', scores: '{}', summary: null, recommendations: null }).where('patient_id', '=', patient.id).execute();
    const goalIds = db.selectFrom('goals').select('id').where('patient_id', '=', patient.id);
    await db.updateTable('goal_measurements').set({ note: null }).where('goal_id', 'in', goalIds).execute();
    await db.updateTable('goals').set({ description: ERASED }).where('patient_id', '=', patient.id).execute();
    const documents = await db
      .updateTable('documents')
      .set((eb) => ({
        original_name: ERASED,
        needs_review: false,
        removed_at: eb.fn.coalesce('removed_at', sql<Date>`${now}::timestamptz`),
        removed_reason: eb.fn.coalesce('removed_reason', sql<string>`'patient erased'`),
      }))
      .where('patient_id', '=', patient.id)
      .returning(['id', 'sha256'])
      .execute();

    // Scheduling: free text goes; a waived charge keeps its reason without the identifiers.
    await db.updateTable('appointments').set({ cancellation_reason: null }).where('patient_id', '=', patient.id).execute();
    await db.updateTable('waitlist_entries').set({ note: null }).where('patient_id', '=', patient.id).execute();

    // Money: kept, with the identifiers taken out of its free text and of receipts as issued.
    await scrubMoney(tx, patient.id, ownRecords);

    // Messages: the outbox keeps ids and states; bodies and errors about them go, and their own chats.
    await db
      .updateTable('notifications')
      // Errors go (they may quote a number); the reason a message was withdrawn stays.
      .set({ payload: '{}', last_error: sql<string | null>`CASE WHEN last_error = ${ERASURE_REASON} THEN last_error END` })
      .where((eb) =>
        eb.or([
          eb('about_patient_id', '=', patient.id),
          eb('patient_id', '=', patient.id),
          eb('appointment_id', 'in', ids.appointments),
          ...(ids.guardians.length ? [eb('guardian_id', 'in', ids.guardians)] : []),
        ]),
      )
      .execute();
    const ownChats = db
      .selectFrom('bot_conversations')
      .select('id')
      .where((eb) => eb.or([eb('patient_id', '=', patient.id), ...(ids.guardians.length ? [eb('guardian_id', 'in', ids.guardians)] : [])]));
    const chatMessages = await db.deleteFrom('inbox_messages').where('conversation_id', 'in', ownChats).executeTakeFirst();
    // What a bot took from those chats and has not handled yet (seconds old, or left by a crash) goes too.
    await forgetChatsUpdatesInHand(db, ownChats);
    const chats = await db.deleteFrom('bot_conversations').where('id', 'in', ownChats).executeTakeFirst();
    await scrubKeptGuardiansChats(
      tx,
      keptGuardians.map((g) => g.id),
      keptRecords,
    );

    const auditRewritten = await scrubAuditEntries(tx, patient.id, ownRecords);

    // Contents no other patient's document shares.
    let contentsDeleted = 0;
    for (const sha256 of new Set(documents.map((d) => d.sha256))) if (await releaseContent(tx, sha256)) contentsDeleted++;

    const summary = {
      patientId: patient.id,
      patientNumber: patient.patient_number,
      guardiansErased: ids.guardians,
      guardiansKept: keptGuardians.map((g) => g.id),
      documents: documents.length,
      contentsDeleted,
      chats: Number(chats.numDeletedRows),
      chatMessages: Number(chatMessages.numDeletedRows),
      auditEntriesRewritten: auditRewritten,
      withdrawn,
    };
    // The erasure ledger (no personal data): a restore of an older backup applies this erasure again.
    await recordErasure(tx, { patientId: patient.id, patientNumber: patient.patient_number, guardianIds: ids.guardians, erasedAt: now }, options);
    await recordAudit(tx, {
      action: 'patient.erase',
      entity: 'patient',
      entityId: patient.id,
      patientId: patient.id,
      meta: { ...summary, reason: ownRecords.text(input.reason) },
    });
    return summary;
  });
  return result;
}

/** Words of the names of the people a kept guardian's records go on with: the guardians and the children still in care. */
async function namesKeptWith(tx: DomainContext, erasedPatientId: number, keptGuardianIds: number[]): Promise<string[]> {
  if (!keptGuardianIds.length) return [];
  const guardians = await tx.db.selectFrom('guardians').select('full_name').where('id', 'in', keptGuardianIds).execute();
  const children = await tx.db
    .selectFrom('patient_guardians as pg')
    .innerJoin('patients as p', 'p.id', 'pg.patient_id')
    .select('p.full_name')
    .where('pg.guardian_id', 'in', keptGuardianIds)
    .where('p.id', '<>', erasedPatientId)
    .where('p.erased_at', 'is', null)
    .execute();
  return [...guardians, ...children].flatMap((person) => person.full_name.split(/\s+/));
}

/** A patient with a session still to come (or going on) is not erased: the desk cancels it first. */
async function refuseWhileUpcoming(ctx: DomainContext, patient: { id: number; patient_number: string }): Promise<void> {
  const upcoming = await ctx.db
    .selectFrom('appointments')
    .select('appointment_number')
    .where('patient_id', '=', patient.id)
    .where((eb) => eb.or([eb('status', '=', 'in_progress'), eb.and([eb('status', 'in', ['scheduled', 'confirmed']), eb('starts_at', '>', ctx.clock.now())])]))
    .execute();
  if (upcoming.length) {
    throw new ConflictError(
      `${patient.patient_number} has upcoming appointments (${upcoming.map((a) => a.appointment_number).join(', ')}); cancel them first.`,
    );
  }
}
