import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/domain/audit/record-audit.js';
import { EXPORT_SECTIONS } from '../../src/domain/data-rights/export-sections.js';
import { enqueueForPatient } from '../../src/domain/notifications/appointment-messages.js';
import { DIYA, openGuptaClinic } from './gupta-family.js';

// A row about Aarav planted in every table the export covers, each with a marker of its own, is found
// in his export (through the CLI, as a zip); the same kinds of rows about his sister Diya — to their
// shared mother Sunita too (messages about a child, audit entries without a patient id) — are not.

type Markers = { aarav: string[]; diya: string[] };

describe('the patient export finds a row planted in every table it covers, and none of the sister’s', () => {
  let clinic: Awaited<ReturnType<typeof openGuptaClinic>>;
  const planted: Record<string, Markers> = {};
  const plant = (table: string, aarav: string[], diya: string[]) => {
    planted[table] = { aarav: [...(planted[table]?.aarav ?? []), ...aarav], diya: [...(planted[table]?.diya ?? []), ...diya] };
  };
  let files: Record<string, Uint8Array>;

  beforeAll(async () => {
    clinic = await openGuptaClinic();
    const db = clinic.database.db;
    const { ctx, aarav, diya, sunita, rakesh } = clinic;
    const { speech, speechService } = clinic.clinic;
    // Both children's planted rows, made alike: `who` names the markers.
    const people = [
      { who: 'AARAV', patient: aarav, year: 2031 },
      { who: 'DIYA', patient: diya, year: 2032 },
    ] as const;
    const at = (year: number, n: number) => new Date(`${year}-01-${String(n).padStart(2, '0')}T01:02:03.${String(100 + n).slice(-3)}Z`);
    const iso = (year: number, n: number) => at(year, n).toISOString();
    const out: Record<string, Record<'AARAV' | 'DIYA', string[]>> = {};
    const mark = (table: string, who: 'AARAV' | 'DIYA', ...markers: string[]) => {
      out[table] ??= { AARAV: [], DIYA: [] };
      out[table]![who].push(...markers);
    };

    const slot = await db.selectFrom('appointment_slots').select('id').where('therapist_id', '=', speech.id).orderBy('id').executeTakeFirstOrThrow();
    const plan = await db
      .insertInto('package_plans')
      .values({ code: 'plant-ten', name: 'Ten sessions', service_id: speechService.id, sessions: 10, price_paise: 500000 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const guardianChat = { AARAV: 0, DIYA: 0 };
    guardianChat.AARAV = (await db.selectFrom('bot_conversations').select('id').where('guardian_id', '=', rakesh.id).executeTakeFirstOrThrow()).id;
    guardianChat.DIYA = (await db.selectFrom('bot_conversations').select('id').where('guardian_id', '=', sunita.id).executeTakeFirstOrThrow()).id;
    const appointmentOf = async (patientId: number) =>
      db
        .selectFrom('appointments')
        .select('id')
        .where('patient_id', '=', patientId)
        .orderBy('id')
        .execute()
        .then((rows) => rows.map((r) => r.id));

    for (const { who, patient, year } of people) {
      mark('patients', who, who === 'AARAV' ? clinic.aarav.patient_number : clinic.diya.patient_number);
      // A guardian of this child only (the grandmother), linked at an instant of her own.
      const nani = await db
        .insertInto('guardians')
        .values({ full_name: `Nani ${who}-guardians` })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('patient_guardians')
        .values({ patient_id: patient.id, guardian_id: nani.id, relationship: 'grandparent', created_at: at(year, 1) })
        .execute();
      mark('guardians', who, `Nani ${who}-guardians`);
      mark('patient_guardians', who, iso(year, 1));
      // The child's consent, and the grandmother's own.
      await db
        .insertInto('consents')
        .values({ patient_id: patient.id, guardian_id: sunita.id, purpose: 'treatment', channel: 'paper', notice_version: `${who}-consents` })
        .execute();
      await db
        .insertInto('consents')
        .values({ guardian_id: nani.id, purpose: 'marketing', channel: 'paper', notice_version: `${who}-guardian-consents` })
        .execute();
      mark('consents', who, `${who}-consents`, `${who}-guardian-consents`);
      await db
        .insertInto('patient_therapists')
        .values({ patient_id: patient.id, therapist_id: speech.id, assigned_at: at(year, 2) })
        .onConflict((oc) => oc.columns(['patient_id', 'therapist_id']).doUpdateSet({ assigned_at: at(year, 2) }))
        .execute();
      mark('patient_therapists', who, iso(year, 2));

      const [first, second] = await appointmentOf(patient.id);
      await db
        .updateTable('appointments')
        .set({ waived_reason: `${who}-appointments` })
        .where('id', '=', first!)
        .execute();
      mark('appointments', who, `${who}-appointments`);
      await db
        .insertInto('appointment_series')
        .values({
          patient_id: patient.id,
          therapist_id: speech.id,
          service_id: speechService.id,
          rule: JSON.stringify({ marker: `${who}-appointment_series` }),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('appointment_series', who, `${who}-appointment_series`);
      const entry = await db
        .insertInto('waitlist_entries')
        .values({
          patient_id: patient.id,
          service_id: speechService.id,
          earliest_on: '2031-01-01',
          latest_on: '2031-01-31',
          note: `${who}-waitlist_entries`,
          status: 'waiting',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('waitlist_entries', who, `${who}-waitlist_entries`);
      const offer = await db
        .insertInto('waitlist_offers')
        .values({ entry_id: entry.id, slot_id: slot.id, offered_at: at(year, 3), expires_at: at(year, 4), status: 'expired' })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('waitlist_offers', who, iso(year, 4));

      const pkg = await db
        .insertInto('patient_packages')
        .values({
          patient_id: patient.id,
          plan_id: plan.id,
          service_id: speechService.id,
          sessions_total: 10,
          price_paise: 500000,
          status: 'active',
          expires_on: `${year + 10}-03-17`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('patient_packages', who, `${year + 10}-03-17`);
      await db
        .insertInto('package_draws')
        .values({ package_id: pkg.id, appointment_id: (second ?? first)!, drawn_at: at(year, 5) })
        .execute();
      mark('package_draws', who, iso(year, 5));
      // A package's payment: no appointment. Its refund, the credit note, the gateway's notice.
      const gatewayId = `pay_${who}Plant${year}`;
      const payment = await db
        .insertInto('payments')
        .values({
          patient_id: patient.id,
          package_id: pkg.id,
          amount_paise: 500000,
          method: 'razorpay',
          state: 'completed',
          paid_at: at(year, 6),
          note: `${who}-payments`,
          razorpay_payment_id: gatewayId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('payments', who, `${who}-payments`);
      const refund = await db
        .insertInto('refunds')
        .values({ payment_id: payment.id, amount_paise: 100, reason: `${who}-refunds` })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('refunds', who, `${who}-refunds`);
      await db
        .insertInto('receipts')
        .values({
          receipt_number: `CN-${who}-receipts`,
          kind: 'credit_note',
          refund_id: refund.id,
          amount_paise: 100,
          snapshot: JSON.stringify({ marker: `${who}-receipt-snapshot` }),
        })
        .execute();
      mark('receipts', who, `CN-${who}-receipts`, `${who}-receipt-snapshot`);
      await db
        .insertInto('webhook_events')
        .values({
          provider: 'razorpay',
          event_id: `evt_${who}_plant`,
          event_type: 'payment.captured',
          payload: JSON.stringify({ payload: { payment: { entity: { id: gatewayId, notes: { marker: `${who}-webhook_events` } } } } }),
        })
        .execute();
      mark('webhook_events', who, `${who}-webhook_events`);

      const notes = await db.selectFrom('therapy_sessions').select('id').where('patient_id', '=', patient.id).executeTakeFirst();
      if (notes)
        await db
          .updateTable('therapy_sessions')
          .set({ homework: `${who}-therapy_sessions` })
          .where('id', '=', notes.id)
          .execute();
      else {
        const done = await db
          .selectFrom('appointments')
          .select('id')
          .where('patient_id', '=', patient.id)
          .where('status', '=', 'completed')
          .executeTakeFirstOrThrow();
        await db
          .insertInto('therapy_sessions')
          .values({ appointment_id: done.id, patient_id: patient.id, therapist_id: speech.id, homework: `${who}-therapy_sessions` })
          .execute();
      }
      mark('therapy_sessions', who, `${who}-therapy_sessions`);
      await db
        .insertInto('assessments')
        .values({
          patient_id: patient.id,
          therapist_id: speech.id,
          kind: 'progress',
          template_code: 'free',
          data: JSON.stringify({ marker: `${who}-assessments` }),
          assessed_on: '2031-01-05',
        })
        .execute();
      mark('assessments', who, `${who}-assessments`);
      const goal = await db
        .insertInto('goals')
        .values({ patient_id: patient.id, therapist_id: speech.id, description: `${who}-goals`, baseline_value: '1', target_value: '2' })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('goals', who, `${who}-goals`);
      await db
        .insertInto('goal_measurements')
        .values({ goal_id: goal.id, measured_on: '2031-01-06', value: '1.5', note: `${who}-goal_measurements` })
        .execute();
      mark('goal_measurements', who, `${who}-goal_measurements`);
      await db
        .insertInto('documents')
        .values({
          patient_id: patient.id,
          doc_type: 'other',
          sha256: 'a'.repeat(64),
          original_name: `${who}-documents.pdf`,
          mime_type: 'application/pdf',
          size_bytes: 10,
          removed_at: at(year, 7),
          removed_reason: 'wrong child',
        })
        .execute();
      mark('documents', who, `${who}-documents.pdf`);

      // Chats: the child's own, a message in it; a file waiting in the guardian's chat (Rakesh's for
      // Aarav, whose only child he is; Sunita's for Diya, which Aarav's export leaves out).
      const chat = await db
        .insertInto('bot_conversations')
        .values({ channel: 'telegram', chat_id: `${who}-chat`, patient_id: patient.id, state: JSON.stringify({ marker: `${who}-bot_conversations` }) })
        .returning('id')
        .executeTakeFirstOrThrow();
      mark('bot_conversations', who, `${who}-bot_conversations`);
      await db
        .insertInto('inbox_messages')
        .values({ conversation_id: chat.id, direction: 'in', body: `${who}-inbox_messages` })
        .execute();
      mark('inbox_messages', who, `${who}-inbox_messages`);
      await db
        .insertInto('pending_chat_documents')
        .values({
          conversation_id: guardianChat[who],
          original_name: `${who}-pending-name.pdf`,
          content: Buffer.from(`%PDF-1.4\n${who}-pending-content\n%%EOF\n`),
          received_at: at(year, 8),
          expires_at: at(year, 9),
        })
        .execute();
      mark('pending_chat_documents', who, `${who}-pending-name.pdf`, `${who}-pending-content`);

      // Messages without an appointment, to a guardian, naming whom they are about (as migration 0024
      // filled in for older ones): the waitlist offer and the package payment's receipt to Sunita;
      // the clinic's reply in the guardian's chat. And one written by the domain.
      const guardianOf = who === 'AARAV' ? rakesh.id : sunita.id;
      const offerMessage = await db
        .insertInto('notifications')
        .values({
          idempotency_key: `waitlist_offer:offer:${offer.id}:g${guardianOf}`,
          kind: 'waitlist_offer',
          guardian_id: guardianOf,
          about_patient_id: patient.id,
          due_at: at(year, 10),
          payload: JSON.stringify({ offerId: offer.id, therapistName: `${who}-offer-message` }),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('notifications')
        .values({
          idempotency_key: `payment_received:payment:${payment.id}:g${sunita.id}`,
          kind: 'payment_received',
          guardian_id: sunita.id,
          about_patient_id: patient.id,
          due_at: at(year, 11),
          payload: JSON.stringify({ receiptNumber: `${who}-payment-message` }),
        })
        .execute();
      await db
        .insertInto('notifications')
        .values({
          idempotency_key: `staff_reply:${who}`,
          kind: 'staff_reply',
          guardian_id: guardianOf,
          due_at: at(year, 12),
          payload: JSON.stringify({ conversationId: guardianChat[who], text: `${who}-reply-message` }),
        })
        .execute();
      await enqueueForPatient(ctx, {
        patientId: patient.id,
        kind: 'refund_processed',
        key: `refund_processed:refund:${refund.id}`,
        payload: { creditNoteNumber: `${who}-refund-message` },
      });
      mark('notifications', who, `${who}-offer-message`, `${who}-payment-message`, `${who}-reply-message`, `${who}-refund-message`);

      // Audit entries recorded without a patient id: the offer expiring, a message retried, the
      // grandmother's record, the payment, and the patient's own doing in a chat.
      await recordAudit(ctx, { action: 'waitlist.offer_expired', entity: 'waitlist_offer', entityId: offer.id, meta: { marker: `${who}-audit-offer` } });
      await recordAudit(ctx, {
        action: 'notification.retry',
        entity: 'notification',
        entityId: offerMessage.id,
        meta: { marker: `${who}-audit-notification` },
      });
      await recordAudit(ctx, { action: 'guardian.update', entity: 'guardian', entityId: nani.id, meta: { marker: `${who}-audit-guardian` } });
      await recordAudit(ctx, { action: 'payment.cancel', entity: 'payment', entityId: payment.id, meta: { marker: `${who}-audit-payment` } });
      await recordAudit(
        { ...ctx, actor: { kind: 'patient', patientId: patient.id } },
        { action: 'chat.help', entity: 'clinic_settings', meta: { marker: `${who}-audit-own` } },
      );
      mark('audit_log', who, `${who}-audit-offer`, `${who}-audit-notification`, `${who}-audit-guardian`, `${who}-audit-payment`, `${who}-audit-own`);
    }
    for (const [table, m] of Object.entries(out)) plant(table, m.AARAV, m.DIYA);
    // The sister's own: her name; and Sunita's chat (she asks about both children) stays out.
    plant('patients', [], [DIYA.name]);

    // The refund message went to Sunita (the children's primary guardian) and names each child.
    const refundMessages = await db
      .selectFrom('notifications')
      .select(['about_patient_id', 'guardian_id'])
      .where('kind', '=', 'refund_processed')
      .where(sql`payload->>'creditNoteNumber'`, 'like', '%-refund-message')
      .orderBy('id')
      .execute();
    expect(refundMessages).toEqual([
      { about_patient_id: aarav.id, guardian_id: sunita.id },
      { about_patient_id: diya.id, guardian_id: sunita.id },
    ]);

    const zip = join(clinic.home, 'aarav.zip');
    const done = await clinic.roshni(['patient', 'export', aarav.patient_number, '--out', zip], 'anita');
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    files = unzipSync(readFileSync(zip));
  });
  afterAll(async () => {
    await clinic?.close();
    if (clinic) rmSync(clinic.home, { recursive: true, force: true });
  });

  it('plants a row in every table the export covers', () => {
    const exported = [...new Set(EXPORT_SECTIONS.flatMap((s) => s.tables))].sort();
    expect(Object.keys(planted).sort()).toEqual(exported);
    for (const [table, m] of Object.entries(planted)) expect(m.aarav.length, table).toBeGreaterThan(0);
  });

  it("finds each of Aarav's rows in his export", () => {
    const everything = Object.values(files)
      .map((bytes) => Buffer.from(bytes).toString('utf8'))
      .join('\n');
    const missing = Object.entries(planted).flatMap(([table, m]) =>
      m.aarav.filter((marker) => !everything.includes(marker)).map((marker) => `${table}: ${marker}`),
    );
    expect(missing).toEqual([]);
    // The waiting file is there as a file of its own.
    const waiting = Object.keys(files).filter((p) => p.startsWith('chat-files/'));
    expect(waiting).toHaveLength(1);
    expect(Buffer.from(files[waiting[0]!]!).toString('utf8')).toContain('AARAV-pending-content');
  });

  it("finds none of Diya's", () => {
    const everything = Object.values(files)
      .map((bytes) => Buffer.from(bytes).toString('utf8'))
      .join('\n');
    const found = Object.entries(planted).flatMap(([table, m]) =>
      m.diya.filter((marker) => everything.includes(marker)).map((marker) => `${table}: ${marker}`),
    );
    expect(found).toEqual([]);
    for (const sister of ['Diya', 'DIYA', clinic.diya.patient_number]) expect(everything, sister).not.toContain(sister);
  });
});
