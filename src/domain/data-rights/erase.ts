import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { releaseContent } from '../documents/documents.js';
import { recordErasure, type EraseOptions } from './erasure-ledger.js';
import { ERASED, identifierPattern, mentions, scrubJson, scrubText, type Identity } from './scrub.js';

// The right to erasure (DPDP Act 2023, s.12): a patient's personal data is erased or made
// anonymous, in one transaction, audited with the reason. Kept, because the law requires the
// clinic's books: payments, refunds and receipts with their amounts, numbers and dates (the
// patient there becomes "Erased patient" and their P-number). Kept too: ids, dates and states that
// say nothing about the person (appointments happened, consents were given and withdrawn). A
// guardian linked to another patient still in care is kept; one linked only to this patient is
// erased with them. Documents' contents are deleted unless another patient's document has the
// same content.

export const ERASED_PATIENT_NAME = 'Erased patient';
const ERASED_GUARDIAN_NAME = 'Erased guardian';

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
  const result = await inTransaction(ctx, async (tx) => {
    const { db } = tx;
    const now = tx.clock.now();
    const patient = await db.selectFrom('patients').selectAll().where('id', '=', input.patientId).where('erased_at', 'is', null).forUpdate().executeTakeFirst();
    if (!patient) throw new NotFoundError(`No patient with id ${input.patientId}.`);
    const upcoming = await db
      .selectFrom('appointments')
      .select('appointment_number')
      .where('patient_id', '=', patient.id)
      .where((eb) => eb.or([eb('status', '=', 'in_progress'), eb.and([eb('status', 'in', ['scheduled', 'confirmed']), eb('starts_at', '>', now)])]))
      .execute();
    if (upcoming.length) {
      throw new ConflictError(`${patient.patient_number} has upcoming appointments (${upcoming.map((a) => a.appointment_number).join(', ')}); cancel them first.`);
    }
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
    const pattern = identifierPattern([patient as Identity, ...erasedGuardians]);
    const strictPattern = identifierPattern([patient as Identity, ...erasedGuardians], { words: false });
    const ids = {
      appointments: db.selectFrom('appointments').select('id').where('patient_id', '=', patient.id),
      payments: db.selectFrom('payments').select('id').where('patient_id', '=', patient.id),
      guardians: erasedGuardians.map((g) => g.id),
    };

    // The people.
    await db.updateTable('patients').set({ ...anonymousPerson(ERASED_PATIENT_NAME, now), date_of_birth: null, gender: null }).where('id', '=', patient.id).execute();
    if (ids.guardians.length) await db.updateTable('guardians').set(anonymousPerson(ERASED_GUARDIAN_NAME, now)).where('id', 'in', ids.guardians).execute();
    await db
      .updateTable('consents')
      .set({ withdrawn_at: now })
      .where('withdrawn_at', 'is', null)
      .where((eb) => eb.or([eb('patient_id', '=', patient.id), ...(ids.guardians.length ? [eb.and([eb('patient_id', 'is', null), eb('guardian_id', 'in', ids.guardians)])] : [])]))
      .execute();

    // Clinical records: the text and data go, the rows (ids, dates, attendance) stay.
    await db
      .updateTable('therapy_sessions')
      .set({ objectives: null, activities: null, materials: null, observations: null, progress_notes: null, homework: null, next_plan: null, patient_response: null })
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
    await db.updateTable('waitlist_entries').set({ status: 'removed' }).where('patient_id', '=', patient.id).where('status', 'in', ['waiting', 'offered']).execute();
    await rewrite(tx, 'appointments', ['waived_reason'], await ids.appointments.where('waived_reason', 'is not', null).execute(), pattern);

    // Money: kept, with the identifiers taken out of its free text and of receipts as issued.
    await rewrite(tx, 'payments', ['note', 'failure_reason'], await ids.payments.execute(), pattern);
    await rewrite(tx, 'refunds', ['reason'], await db.selectFrom('refunds').select('id').where('payment_id', 'in', ids.payments).execute(), pattern);
    const receipts = await db
      .selectFrom('receipts')
      .select(['id', 'snapshot'])
      .where((eb) => eb.or([eb('payment_id', 'in', ids.payments), eb('refund_id', 'in', db.selectFrom('refunds').select('id').where('payment_id', 'in', ids.payments))]))
      .execute();
    for (const receipt of receipts) {
      const snapshot = scrubJson(receipt.snapshot as Record<string, unknown>, pattern);
      const named = snapshot.patient as Record<string, unknown> | undefined;
      if (named && typeof named === 'object') named.name = ERASED_PATIENT_NAME;
      await db.updateTable('receipts').set({ snapshot: JSON.stringify(snapshot) }).where('id', '=', receipt.id).execute();
    }
    const gatewayIds = await db.selectFrom('payments').select(['razorpay_payment_id', 'razorpay_order_id', 'razorpay_payment_link_id']).where('patient_id', '=', patient.id).execute();
    const providerRefs = gatewayIds.flatMap((p) => [p.razorpay_payment_id, p.razorpay_order_id, p.razorpay_payment_link_id]).filter((v): v is string => Boolean(v));
    if (providerRefs.length) {
      const events = await db
        .selectFrom('webhook_events')
        .select(['id', 'payload'])
        .where((eb) => eb.or(providerRefs.map((ref) => eb(sql`payload::text`, 'like', `%${ref.replace(/[%_\\]/g, '\\$&')}%`))))
        .execute();
      for (const event of events) {
        if (mentions(event.payload, pattern)) await db.updateTable('webhook_events').set({ payload: JSON.stringify(scrubJson(event.payload, pattern)) }).where('id', '=', event.id).execute();
      }
    }

    // Messages: the outbox keeps ids and states; bodies, errors and chats go.
    await db
      .updateTable('notifications')
      .set({ state: 'cancelled' })
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('patient_id', '=', patient.id), eb('appointment_id', 'in', ids.appointments), ...(ids.guardians.length ? [eb('guardian_id', 'in', ids.guardians)] : [])]))
      .execute();
    await db
      .updateTable('notifications')
      .set({ payload: '{}', last_error: null })
      .where((eb) => eb.or([eb('patient_id', '=', patient.id), eb('appointment_id', 'in', ids.appointments), ...(ids.guardians.length ? [eb('guardian_id', 'in', ids.guardians)] : [])]))
      .execute();
    const ownChats = db
      .selectFrom('bot_conversations')
      .select('id')
      .where((eb) => eb.or([eb('patient_id', '=', patient.id), ...(ids.guardians.length ? [eb('guardian_id', 'in', ids.guardians)] : [])]));
    const chatMessages = await db.deleteFrom('inbox_messages').where('conversation_id', 'in', ownChats).executeTakeFirst();
    const chats = await db.deleteFrom('bot_conversations').where('id', 'in', ownChats).executeTakeFirst();
    // A kept guardian's chats go on, without this patient in them.
    if (keptGuardians.length) {
      const theirChats = db.selectFrom('bot_conversations').select('id').where('guardian_id', 'in', keptGuardians.map((g) => g.id));
      await rewrite(tx, 'inbox_messages', ['body'], await db.selectFrom('inbox_messages').select('id').where('conversation_id', 'in', theirChats).execute(), strictPattern);
      for (const chat of await db.selectFrom('bot_conversations').select(['id', 'state']).where('id', 'in', theirChats).execute()) {
        if (mentions(chat.state, strictPattern)) {
          await db.updateTable('bot_conversations').set({ state: JSON.stringify(scrubJson(chat.state, strictPattern)) }).where('id', '=', chat.id).execute();
        }
      }
    }

    // The audit log: entries stay; personal data inside their JSON goes, through the one function allowed
    // to rewrite it (migration 0018: an admin's session, a patient erased by this very transaction, only
    // that patient's entries, only their JSON). The hash chain keeps each entry's original fingerprint.
    const redactions: Array<{ id: number; before: unknown; after: unknown; meta: unknown }> = [];
    for (const entry of await db.selectFrom('audit_log').select(['id', 'before', 'after', 'meta']).where('patient_id', '=', patient.id).execute()) {
      if (!mentions([entry.before, entry.after, entry.meta], pattern)) continue;
      const scrubbed = (v: unknown) => (v == null ? null : scrubJson(v, pattern));
      redactions.push({ id: entry.id, before: scrubbed(entry.before), after: scrubbed(entry.after), meta: scrubbed(entry.meta) });
    }
    const auditRewritten = redactions.length ? await redactAuditEntries(tx, patient.id, redactions) : 0;

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
    };
    // The erasure ledger (no personal data): a restore of an older backup applies this erasure again.
    await recordErasure(tx, { patientId: patient.id, patientNumber: patient.patient_number, guardianIds: ids.guardians, erasedAt: now }, options);
    await recordAudit(tx, {
      action: 'patient.erase',
      entity: 'patient',
      entityId: patient.id,
      patientId: patient.id,
      meta: { ...summary, reason: scrubText(input.reason, pattern) },
    });
    return summary;
  });
  return result;
}

/** Rewrites the JSON of an erased patient's audit entries (roshni_auth.redact_audit_for_erasure, migration 0018). */
async function redactAuditEntries(ctx: DomainContext, patientId: number, entries: Array<{ id: number }>): Promise<number> {
  const { rows } = await sql<{ rewritten: number }>`
    SELECT roshni_auth.redact_audit_for_erasure(${patientId}, ${JSON.stringify(entries)}::jsonb) AS rewritten`.execute(ctx.db);
  return Number(rows[0]?.rewritten ?? 0);
}

type TextTable = 'appointments' | 'payments' | 'refunds' | 'inbox_messages';

/** Takes the identifiers out of some text columns of these rows. */
async function rewrite(ctx: DomainContext, table: TextTable, columns: string[], ids: Array<{ id: number }>, pattern: RegExp | null) {
  if (!pattern || !ids.length) return;
  // One loop over four tables' text columns: typed loosely here, the column names are this file's own.
  const db = ctx.db as unknown as Kysely<Record<TextTable, Record<string, unknown>>>;
  const rows = await db.selectFrom(table).select(['id', ...columns]).where('id', 'in', ids.map((r) => r.id)).execute();
  for (const row of rows) {
    const changed = Object.fromEntries(
      columns.filter((c) => typeof row[c] === 'string' && mentions(row[c], pattern)).map((c) => [c, scrubText(row[c] as string, pattern)]),
    );
    if (Object.keys(changed).length) await db.updateTable(table).set(changed).where('id', '=', row.id).execute();
  }
}
