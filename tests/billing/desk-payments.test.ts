import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { refundPayment } from '../../src/domain/billing/refund-payment.js';
import { ConflictError } from '../../src/domain/errors.js';

describe('payments at the desk, refunds, waivers and dues', () => {
  // Each test opens a clinic of its own, where four patients are booked for ₹1,000 sessions tomorrow.
  let database: TestDatabase;
  let env: Record<string, string>;
  let appointments: string[];
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin, or as `as`. */
  const roshni = (argv: string[], as?: string) => staff.roshni(argv, env, as);
  const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);

  beforeEach(async () => {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    await addClinicAdmin(database.db);
    staff = signedInCli(database.db);
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { patients: 4 });
    const slots = await slotsOn(ctx, clinic.speech.id, tomorrow);
    appointments = [];
    for (let i = 0; i < 4; i++) {
      const booked = await bookAppointment(ctx, { patientId: clinic.patients[i]!.id, serviceId: clinic.speechService.id, slotId: slots[i]!.id });
      appointments.push(booked.appointmentNumber);
    }
  });
  afterEach(() => database?.close());

  const appointment = (number: string) => database.db.selectFrom('appointments').selectAll().where('appointment_number', '=', number).executeTakeFirstOrThrow();

  /** The first patient pays ₹400 in cash and the other ₹600 by card: the card payment's reference. */
  async function paidInCashThenByCard(): Promise<string> {
    expect((await roshni(['pay', 'cash', appointments[0]!, '--amount', '400'])).code).toBe(0);
    const card = await roshni(['pay', 'card', appointments[0]!, '--amount', '600', '--json']);
    expect(card.code).toBe(0);
    return JSON.parse(card.stdout).reference;
  }
  /** ₹200 of the card payment goes back: the session was cut short. */
  async function refundedInPart(reference: string) {
    expect((await roshni(['refund', reference, '--amount', '200', '--reason', 'Session cut short'])).code).toBe(0);
  }

  it('takes part of the price in cash, then the rest by card, with a receipt for each', async () => {
    const first = await roshni(['pay', 'cash', appointments[0]!, '--amount', '400', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ paymentStatus: 'partially_paid', amountPaise: 40000, method: 'cash' });
    expect(JSON.parse(first.stdout).receiptNumber).toMatch(/^RCPT-\d{6}$/);
    const second = await roshni(['pay', 'card', appointments[0]!, '--amount', '600.00']);
    expect(second.stdout).toContain('Appointment is now paid.');
    expect((await appointment(appointments[0]!)).payment_status).toBe('paid');
    const receipts = await database.db.selectFrom('receipts').select('receipt_number').execute();
    expect(receipts).toHaveLength(2);
  });

  it.each([
    [['--amount', '0'], 2, 'must be more than zero'],
    [['--amount', '-5'], 2, 'rupees'],
    [['--amount', '10.005'], 2, 'at most two decimals'],
    [['--amount', '5000'], 2, 'is more than that'],
    [[], 2, '--amount is required'],
  ])('refuses %j and writes nothing', async (flags, code, message) => {
    const before = await database.db.selectFrom('payments').select('id').execute();
    const result = await roshni(['pay', 'cash', appointments[1]!, ...flags]);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
    expect(await database.db.selectFrom('payments').select('id').execute()).toHaveLength(before.length);
  });

  it('refuses payment for an unknown or a cancelled appointment', async () => {
    expect((await roshni(['pay', 'cash', 'APT-999999', '--amount', '100'])).code).toBe(3);
    await roshni(['cancel', appointments[3]!, '--reason', 'Moved away']);
    const cancelled = await roshni(['pay', 'cash', appointments[3]!, '--amount', '100']);
    expect(cancelled.code).toBe(2);
    expect(cancelled.stderr).toContain('is cancelled; it takes no payment');
  });

  it('refunds part of a cash payment with a credit note, never more than was paid', async () => {
    const payment = { reference: await paidInCashThenByCard() };
    const refund = await roshni(['refund', payment!.reference, '--amount', '200', '--reason', 'Session cut short', '--json']);
    expect(refund.code).toBe(0);
    expect(JSON.parse(refund.stdout)).toMatchObject({ state: 'processed', amountPaise: 20000 });
    expect(JSON.parse(refund.stdout).creditNoteNumber).toMatch(/^RCPT-CN-\d{6}$/);
    expect((await appointment(appointments[0]!)).payment_status).toBe('partially_paid');

    const tooMuch = await roshni(['refund', payment!.reference, '--amount', '500', '--reason', 'Oops']);
    expect(tooMuch.code).toBe(4);
    expect(tooMuch.stderr).toContain('has ₹400.00 left to refund');
    expect((await roshni(['refund', payment!.reference, '--amount', '100'])).stderr).toContain('--reason is required');
  });

  it('two admins refunding the rest at the same moment: one refund goes through', async () => {
    const payment = { reference: await paidInCashThenByCard() };
    await refundedInPart(payment.reference);
    const pools: Database[] = await Promise.all([openPostgres(database.url), openPostgres(database.url)]);
    try {
      const results = await Promise.allSettled(
        pools.map((pool) => refundPayment(systemContext(pool.db), { paymentReference: payment!.reference, amountPaise: 40000, reason: 'Duplicate charge' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused!.reason).toBeInstanceOf(ConflictError);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
    const refunds = await database.db.selectFrom('refunds').select('amount_paise').execute();
    expect(refunds.reduce((s, r) => s + r.amount_paise, 0)).toBe(60000);
  });

  it('waives a charge only for an admin, with a reason', async () => {
    await database.db.insertInto('staff_users').values({ username: 'desk', full_name: 'Front Desk', role: 'receptionist' }).execute();
    const denied = await roshni(['waive', appointments[1]!, '--reason', 'Hardship'], 'desk');
    expect(denied.code).toBe(5);
    expect((await roshni(['waive', appointments[1]!])).code).toBe(2);
    const waived = await roshni(['waive', appointments[1]!, '--reason', 'Staff family']);
    expect(waived.code).toBe(0);
    expect(await appointment(appointments[1]!)).toMatchObject({ payment_status: 'waived', waived_reason: 'Staff family' });
  });

  it('lists who owes what for attended sessions and reconciles the day', async () => {
    // The day at the desk: the first patient pays in two parts and gets ₹600 of the card payment back,
    // the second is let off, the third has not paid, and the fourth has cancelled.
    const card = await paidInCashThenByCard();
    await refundedInPart(card);
    expect((await roshni(['refund', card, '--amount', '400', '--reason', 'Duplicate charge'])).code).toBe(0);
    expect((await roshni(['waive', appointments[1]!, '--reason', 'Staff family'])).code).toBe(0);
    expect((await roshni(['cancel', appointments[3]!, '--reason', 'Moved away'])).code).toBe(0);
    await database.db
      .updateTable('appointments')
      .set((eb) => ({ status: 'completed', completed_at: eb.ref('ends_at') }))
      .where('appointment_number', 'in', appointments.slice(0, 3))
      .execute();
    const dues = JSON.parse((await roshni(['dues', '--json'])).stdout);
    // Appointment 1 owes ₹600 after its refund; appointment 2 is waived; appointment 3 owes ₹1,000.
    expect(dues.map((d: { duePaise: number }) => d.duePaise).sort()).toEqual([100000, 60000].sort());
    const day = JSON.parse((await roshni(['reconcile', '--date', clinicDate(new Date(), 'Asia/Kolkata'), '--json'])).stdout);
    const byMethod = Object.fromEntries(day.receivedByMethod.map((m: { method: string; receivedPaise: number; refundedPaise: number }) => [m.method, m]));
    expect(byMethod.cash.receivedPaise).toBe(40000);
    expect(byMethod.card).toMatchObject({ receivedPaise: 60000, refundedPaise: 60000 });
    expect(day.receivedPaise).toBe(40000);
    const list = JSON.parse((await roshni(['payments', '--method', 'cash', '--json'])).stdout);
    expect(list).toHaveLength(1);
  });
});
