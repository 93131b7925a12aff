import { sql, type Kysely } from 'kysely';
import type { DomainContext } from '../context.js';
import { ERASED_PATIENT_NAME, type Scrubber } from './scrub.js';

// The erasure's second half: rows kept for other reasons (the books, a kept guardian's chats, the
// audit log) lose the erased people's identifiers from their free text and JSON.

/** The patient's money: kept (the law requires the books), its free text and receipts as issued scrubbed. */
export async function scrubMoney(tx: DomainContext, patientId: number, scrubber: Scrubber): Promise<void> {
  const { db } = tx;
  const paymentIds = db.selectFrom('payments').select('id').where('patient_id', '=', patientId);
  const refundIds = db.selectFrom('refunds').select('id').where('payment_id', 'in', paymentIds);
  await rewrite(
    tx,
    'appointments',
    ['waived_reason'],
    await db.selectFrom('appointments').select('id').where('patient_id', '=', patientId).where('waived_reason', 'is not', null).execute(),
    scrubber,
  );
  await rewrite(tx, 'payments', ['note', 'failure_reason'], await paymentIds.execute(), scrubber);
  await rewrite(tx, 'refunds', ['reason'], await refundIds.execute(), scrubber);
  const receipts = await db
    .selectFrom('receipts')
    .select(['id', 'snapshot'])
    .where((eb) => eb.or([eb('payment_id', 'in', paymentIds), eb('refund_id', 'in', refundIds)]))
    .execute();
  for (const receipt of receipts) {
    const snapshot = scrubber.json(receipt.snapshot as Record<string, unknown>);
    const named = snapshot.patient as Record<string, unknown> | undefined;
    if (named && typeof named === 'object') named.name = ERASED_PATIENT_NAME;
    await db
      .updateTable('receipts')
      .set({ snapshot: JSON.stringify(snapshot) })
      .where('id', '=', receipt.id)
      .execute();
  }
  const gatewayIds = await db
    .selectFrom('payments')
    .select(['razorpay_payment_id', 'razorpay_order_id', 'razorpay_payment_link_id'])
    .where('patient_id', '=', patientId)
    .execute();
  const providerRefs = gatewayIds
    .flatMap((p) => [p.razorpay_payment_id, p.razorpay_order_id, p.razorpay_payment_link_id])
    .filter((v): v is string => Boolean(v));
  if (!providerRefs.length) return;
  const events = await db
    .selectFrom('webhook_events')
    .select(['id', 'payload'])
    .where((eb) => eb.or(providerRefs.map((ref) => eb(sql`payload::text`, 'like', `%${ref.replace(/[%_\\]/g, '\\$&')}%`))))
    .execute();
  for (const event of events) {
    if (scrubber.mentions(event.payload))
      await db
        .updateTable('webhook_events')
        .set({ payload: JSON.stringify(scrubber.json(event.payload)) })
        .where('id', '=', event.id)
        .execute();
  }
}

/**
 * A kept guardian's chats go on without the erased child in them: the messages, the conversation's
 * state, replies the clinic sent them, and documents they sent that wait to be filed (deleted when
 * they name the child: they are about the child, and no one has said whose they are yet).
 */
export async function scrubKeptGuardiansChats(tx: DomainContext, guardianIds: number[], scrubber: Scrubber): Promise<void> {
  if (!guardianIds.length) return;
  const { db } = tx;
  const theirChats = db.selectFrom('bot_conversations').select('id').where('guardian_id', 'in', guardianIds);
  await rewrite(
    tx,
    'inbox_messages',
    ['body'],
    await db.selectFrom('inbox_messages').select('id').where('conversation_id', 'in', theirChats).execute(),
    scrubber,
  );
  for (const chat of await db.selectFrom('bot_conversations').select(['id', 'state']).where('id', 'in', theirChats).execute()) {
    if (scrubber.mentions(chat.state))
      await db
        .updateTable('bot_conversations')
        .set({ state: JSON.stringify(scrubber.json(chat.state)) })
        .where('id', '=', chat.id)
        .execute();
  }
  for (const message of await db.selectFrom('notifications').select(['id', 'payload', 'last_error']).where('guardian_id', 'in', guardianIds).execute()) {
    if (scrubber.mentions([message.payload, message.last_error])) {
      await db
        .updateTable('notifications')
        .set({ payload: JSON.stringify(scrubber.json(message.payload)), last_error: message.last_error && scrubber.text(message.last_error) })
        .where('id', '=', message.id)
        .execute();
    }
  }
  const waiting = await db.selectFrom('pending_chat_documents').select(['id', 'original_name']).where('conversation_id', 'in', theirChats).execute();
  const aboutTheChild = waiting.filter((d) => scrubber.mentions(d.original_name)).map((d) => d.id);
  if (aboutTheChild.length) await db.deleteFrom('pending_chat_documents').where('id', 'in', aboutTheChild).execute();
}

/**
 * The audit log: entries stay; personal data inside their JSON goes, through the one function allowed
 * to rewrite it (migration 0018: an admin's session, a patient erased by this very transaction, only
 * that patient's entries, only their JSON). The hash chain keeps each entry's original fingerprint.
 */
export async function scrubAuditEntries(tx: DomainContext, patientId: number, scrubber: Scrubber): Promise<number> {
  const redactions: Array<{ id: number; before: unknown; after: unknown; meta: unknown }> = [];
  for (const entry of await tx.db.selectFrom('audit_log').select(['id', 'before', 'after', 'meta']).where('patient_id', '=', patientId).execute()) {
    if (!scrubber.mentions([entry.before, entry.after, entry.meta])) continue;
    const scrubbed = (v: unknown) => (v == null ? null : scrubber.json(v));
    redactions.push({ id: entry.id, before: scrubbed(entry.before), after: scrubbed(entry.after), meta: scrubbed(entry.meta) });
  }
  if (!redactions.length) return 0;
  const { rows } = await sql<{ rewritten: number }>`
    SELECT roshni_auth.redact_audit_for_erasure(${patientId}, ${JSON.stringify(redactions)}::jsonb) AS rewritten`.execute(tx.db);
  return Number(rows[0]?.rewritten ?? 0);
}

type TextTable = 'appointments' | 'payments' | 'refunds' | 'inbox_messages';

/** Takes the identifiers out of some text columns of these rows. */
async function rewrite(ctx: DomainContext, table: TextTable, columns: string[], ids: Array<{ id: number }>, scrubber: Scrubber) {
  if (!ids.length) return;
  // One loop over four tables' text columns: typed loosely here, the column names are this file's own.
  const db = ctx.db as unknown as Kysely<Record<TextTable, Record<string, unknown>>>;
  const rows = await db
    .selectFrom(table)
    .select(['id', ...columns])
    .where(
      'id',
      'in',
      ids.map((r) => r.id),
    )
    .execute();
  for (const row of rows) {
    const changed = Object.fromEntries(
      columns.filter((c) => typeof row[c] === 'string' && scrubber.mentions(row[c])).map((c) => [c, scrubber.text(row[c] as string)]),
    );
    if (Object.keys(changed).length) await db.updateTable(table).set(changed).where('id', '=', row.id).execute();
  }
}
