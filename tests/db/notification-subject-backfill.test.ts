import { Migrator, sql, type Kysely, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// Migration 0024 adds notifications.about_patient_id (whom a message is about, whoever it went to) and
// fills it in for the messages already in the outbox: from the patient addressed, from the appointment's
// patient, and, for a message to a guardian that names neither, from the event its idempotency key names.
// This test writes such an outbox on the schema just before 0024, migrates, and reads what 0024 made of it.

const BEFORE_SUBJECT = '2026-12-07-0022-pending-chat-documents';

describe('migration 0024: notifications.about_patient_id', () => {
  let database: TestDatabase;
  let db: Kysely<any>;
  /** Patient ids by who they are; notification ids by what they are. */
  const patient: Record<string, number> = {};
  const notification: Record<string, number> = {};
  let guardianId: number;
  let appointmentId: number;
  let offerId: number;

  async function insertedId(query: RawBuilder<unknown>): Promise<number> {
    const { rows } = await (query as RawBuilder<{ id: number }>).execute(db);
    return rows[0]!.id;
  }

  async function aboutPatientIds(): Promise<Record<string, number | null | undefined>> {
    const { rows } = await sql<{ id: number; about_patient_id: number | null }>`
      SELECT id, about_patient_id FROM notifications`.execute(db);
    const byId = new Map(rows.map((r) => [r.id, r.about_patient_id]));
    return Object.fromEntries(Object.entries(notification).map(([what, id]) => [what, byId.get(id)]));
  }

  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
    db = database.db;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const before = await migrator.migrateTo(BEFORE_SUBJECT);
    expect(before.error).toBeUndefined();
    expect(before.results?.at(-1)?.migrationName).toBe(BEFORE_SUBJECT);

    // An adult who is written to herself, and five children reached through one mother, each the
    // subject of one kind of message, so that a message resolved through the wrong table names the
    // wrong child.
    patient.adult = await insertedId(sql`INSERT INTO patients (full_name) VALUES ('Asha Verma') RETURNING id`);
    for (const child of ['appointment', 'payment', 'refund', 'series', 'offer']) {
      patient[child] = await insertedId(sql`INSERT INTO patients (full_name, date_of_birth) VALUES (${`Child of ${child}`}, '2019-05-01') RETURNING id`);
    }
    guardianId = await insertedId(sql`INSERT INTO guardians (full_name) VALUES ('Priya Sharma') RETURNING id`);
    await sql`
      INSERT INTO patient_guardians (patient_id, guardian_id, relationship, is_primary)
      SELECT id, ${guardianId}, 'mother', true FROM patients WHERE id <> ${patient.adult}`.execute(db);

    const therapistId = await insertedId(sql`INSERT INTO therapists (full_name) VALUES ('Meera Iyer') RETURNING id`);
    const serviceId = await insertedId(sql`
      INSERT INTO services (code, name, name_hi, duration_minutes, price_paise)
      VALUES ('backfill-session', 'Backfill session', 'सत्र', 45, 100000) RETURNING id`);
    const appointmentOf = (patientId: number, startsAt: string) =>
      insertedId(sql`
        INSERT INTO appointments (patient_id, therapist_id, service_id, starts_at, ends_at, price_paise)
        VALUES (${patientId}, ${therapistId}, ${serviceId}, ${startsAt}::timestamptz,
                ${startsAt}::timestamptz + interval '45 minutes', 100000)
        RETURNING id`);
    appointmentId = await appointmentOf(patient.appointment!, '2027-01-04T10:00:00+05:30');
    const paidAppointmentId = await appointmentOf(patient.payment!, '2027-01-04T11:00:00+05:30');
    const refundedAppointmentId = await appointmentOf(patient.refund!, '2027-01-04T12:00:00+05:30');

    const paymentOf = (forAppointment: number, patientId: number) =>
      insertedId(sql`
        INSERT INTO payments (patient_id, appointment_id, amount_paise, method, state, paid_at)
        VALUES (${patientId}, ${forAppointment}, 100000, 'upi', 'completed', now()) RETURNING id`);
    const paymentId = await paymentOf(paidAppointmentId, patient.payment!);
    const refundedPaymentId = await paymentOf(refundedAppointmentId, patient.refund!);
    const refundId = await insertedId(sql`
      INSERT INTO refunds (payment_id, amount_paise, reason) VALUES (${refundedPaymentId}, 50000, 'Session cut short')
      RETURNING id`);
    // Ids of different tables coincide (payment 1, refund 1, series 1, offer 1): only the right table's
    // row leads to the right child.
    expect(refundId).toBe(paymentId);

    const seriesId = await insertedId(sql`
      INSERT INTO appointment_series (patient_id, therapist_id, service_id, rule)
      VALUES (${patient.series}, ${therapistId}, ${serviceId}, '{"weekday": 1, "count": 8}') RETURNING id`);
    const slotId = await insertedId(sql`
      INSERT INTO appointment_slots (therapist_id, starts_at, ends_at)
      VALUES (${therapistId}, '2027-01-05T10:00:00+05:30', '2027-01-05T10:45:00+05:30') RETURNING id`);
    const entryId = await insertedId(sql`
      INSERT INTO waitlist_entries (patient_id, service_id, earliest_on, latest_on)
      VALUES (${patient.offer}, ${serviceId}, '2027-01-01', '2027-01-31') RETURNING id`);
    offerId = await insertedId(sql`
      INSERT INTO waitlist_offers (entry_id, slot_id, expires_at)
      VALUES (${entryId}, ${slotId}, now() + interval '30 minutes') RETURNING id`);

    const notify = (key: string, kind: string, to: { patientId?: number; guardianId?: number; appointmentId?: number }) =>
      insertedId(sql`
        INSERT INTO notifications (idempotency_key, kind, patient_id, guardian_id, appointment_id, due_at)
        VALUES (${key}, ${kind}, ${to.patientId ?? null}::integer, ${to.guardianId ?? null}::integer,
                ${to.appointmentId ?? null}::integer, now())
        RETURNING id`);
    const g = `g${guardianId}`;
    notification.toPatient = await notify(`payment_received:payment:${paymentId}:p${patient.adult}`, 'payment_received', {
      patientId: patient.adult,
    });
    notification.ofAppointment = await notify(`reminder:${appointmentId}:1440:1799043600:${g}`, 'reminder', {
      guardianId,
      appointmentId,
    });
    notification.paymentKey = await notify(`payment_received:payment:${paymentId}:${g}`, 'payment_received', { guardianId });
    notification.refundKey = await notify(`refund_processed:refund:${refundId}:${g}`, 'refund_processed', { guardianId });
    notification.seriesKey = await notify(`booking_confirmed:series:${seriesId}:${g}`, 'booking_confirmed', { guardianId });
    notification.offerKey = await notify(`waitlist_offer:offer:${offerId}:${g}`, 'waitlist_offer', { guardianId });
    notification.staffReply = await notify('staff_reply:1', 'staff_reply', { guardianId });

    expect((await migrateToLatest(db)).applied).toContain('2026-12-07-0024-notification-subject');
  });

  afterAll(() => database?.close());

  it('fills in earlier messages: from the patient addressed, the appointment, and the key of a message to a guardian', async () => {
    expect(await aboutPatientIds()).toEqual({
      toPatient: patient.adult,
      ofAppointment: patient.appointment,
      paymentKey: patient.payment,
      refundKey: patient.refund,
      seriesKey: patient.series,
      offerKey: patient.offer,
      // A reply in the mother's own chat is about no patient.
      staffReply: null,
    });
  });

  it("fills in a new message that names only an appointment with the appointment's patient", async () => {
    const id = await insertedId(sql`
      INSERT INTO notifications (idempotency_key, kind, guardian_id, appointment_id, due_at)
      VALUES (${`appointment_changed:${appointmentId}:1:g${guardianId}`}, 'appointment_changed', ${guardianId}, ${appointmentId}, now())
      RETURNING id`);
    const { rows } = await sql<{ about_patient_id: number | null }>`
      SELECT about_patient_id FROM notifications WHERE id = ${id}`.execute(db);
    expect(rows[0]?.about_patient_id).toBe(patient.appointment);
  });

  it("adds 'withdrawn' to the waitlist offer statuses", async () => {
    const { rows } = await sql<{ value: string }>`
      SELECT unnest(enum_range(NULL::waitlist_offer_status))::text AS value`.execute(db);
    expect(rows.map((r) => r.value)).toContain('withdrawn');
    await sql`UPDATE waitlist_offers SET status = 'withdrawn' WHERE id = ${offerId}`.execute(db);
  });
});
