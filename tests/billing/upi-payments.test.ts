import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmUpiPayment, startUpiPayment } from '../../src/domain/billing/upi-payments.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { openPostgres } from '../../src/infra/db/database.js';
import type { CliResult } from '../support/cli.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('UPI at the front desk: a QR, then the UTR the patient reads out', () => {
  let database: TestDatabase;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let env: Record<string, string>;
  let folder: string;
  const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
  const ctx = () => systemContext(database.db);
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin, or as `as`. */
  const roshni = (argv: string[], as?: string) => staff.roshni(argv, env, as);

  let booked = 0;
  /** Speech therapy (₹1,000) for patient `n`, in the speech therapist's next free slot from tomorrow on. */
  async function book(n: number) {
    const slots = [];
    for (let d = 0; d < 4; d++) slots.push(...(await slotsOn(ctx(), clinic.speech.id, addDays(tomorrow, d))));
    return bookAppointment(ctx(), { patientId: clinic.patients[n]!.id, serviceId: clinic.speechService.id, slotId: slots[booked++]!.id });
  }

  async function counts() {
    const { rows } = await sql<{ payments: number; pending: number; receipts: number; audit: number }>`
      SELECT (SELECT count(*) FROM payments)::int AS payments,
             (SELECT count(*) FROM payments WHERE state = 'pending')::int AS pending,
             (SELECT count(*) FROM receipts)::int AS receipts,
             (SELECT count(*) FROM audit_log WHERE outcome = 'ok')::int AS audit`.execute(database.db);
    return rows[0]!;
  }

  function paymentByReference(reference: string) {
    return database.db.selectFrom('payments').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
  }

  /** A refusal: one line on stderr, its exit code, nothing on stdout and nothing written. */
  async function expectRefused(attempt: () => Promise<CliResult>, code: number, message: string | RegExp) {
    const before = await counts();
    const result = await attempt();
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(code);
    expect(await counts()).toEqual(before);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    clinic = await seedClinic(ctx(), { patients: 6 });
    await addClinicAdmin(database.db);
    staff = signedInCli(database.db);
    env = { DATABASE_URL: database.url };
    folder = mkdtempSync(join(tmpdir(), 'roshni-upi-'));
    for (const [username, role] of [
      ['ravi.desk', 'receptionist'],
      ['tara.slp', 'therapist'],
    ]) {
      const added = await staff.roshni(
        ['staff', 'add', '--username', username!, '--name', `Staff ${username}`, '--role', role!, '--password-stdin'],
        env,
        undefined,
        'a staff password\n',
      );
      expect(added.code).toBe(0);
    }
  });
  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await database?.close();
  });

  it('shows a QR for what is due and keeps the request pending until the money is seen', async () => {
    const visit = await book(0);
    const { code, stdout, stderr } = await roshni(['pay', 'upi', visit.appointmentNumber], 'ravi.desk');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const reference = /Reference:\s+(PAY-\d{6})/.exec(stdout)![1]!;
    expect(stdout).toMatch(/[█▀▄]{20,}/);
    expect(stdout).toContain(`Scan to pay ₹1,000.00 to Sunrise Child Therapy (sunrise@okaxis) for ${visit.appointmentNumber}.`);
    expect(stdout).toContain(
      `Link:       upi://pay?pa=sunrise@okaxis&pn=Sunrise%20Child%20Therapy&am=1000.00&cu=INR&tn=${visit.appointmentNumber}%20Speech%20therapy%20session&tr=${reference}`,
    );
    expect(stdout).toContain(`When the patient has paid: roshni pay confirm ${reference} --utr <UTR>`);

    const payment = await paymentByReference(reference);
    expect(payment).toMatchObject({ method: 'upi', state: 'pending', amount_paise: 100_000, utr: null, paid_at: null, appointment_id: visit.id });
    const appointment = await database.db.selectFrom('appointments').select('payment_status').where('id', '=', visit.id).executeTakeFirstOrThrow();
    expect(appointment.payment_status).toBe('pending');
    expect(await database.db.selectFrom('receipts').select('id').where('payment_id', '=', payment.id).execute()).toHaveLength(0);
  });

  it('hands out the same request when asked again for the same amount, and gives data without QR art with --json', async () => {
    const visit = await book(1);
    const png = join(folder, 'qr.png');
    const first = await roshni(['pay', 'upi', visit.appointmentNumber, '--png', png, '--json']);
    expect(first.code).toBe(0);
    const request = JSON.parse(first.stdout);
    expect(request).toMatchObject({ amountPaise: 100_000, amount: '1000.00', reused: false, png, appointmentNumber: visit.appointmentNumber });
    expect(request.link).toContain(`&tr=${request.reference}`);
    expect(first.stdout).not.toMatch(/[█▀▄]/);
    expect(readFileSync(png).subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');

    const again = JSON.parse((await roshni(['pay', 'upi', visit.appointmentNumber, '--json'])).stdout);
    expect(again).toMatchObject({ reference: request.reference, link: request.link, reused: true });
    const part = JSON.parse((await roshni(['pay', 'upi', visit.appointmentNumber, '--amount', '400', '--json'])).stdout);
    expect(part.reference).not.toBe(request.reference);
    expect(part.link).toContain('&am=400.00&');
    const pending = await database.db.selectFrom('payments').select('reference').where('appointment_id', '=', visit.id).execute();
    expect(pending.map((p) => p.reference).sort()).toEqual([request.reference, part.reference].sort());
  });

  it('confirms with the UTR: payment completed, appointment paid, receipt issued', async () => {
    const visit = await book(2);
    const request = JSON.parse((await roshni(['pay', 'upi', visit.appointmentNumber, '--json'])).stdout);
    const confirmed = await roshni(['pay', 'confirm', request.reference, '--utr', '4321 0987 6543'], 'ravi.desk');
    expect(confirmed.stderr).toBe('');
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(
      new RegExp(`^Received ₹1,000.00 by UPI \\(${request.reference}, UTR 432109876543\\); receipt RCPT-\\d{6}. Appointment is now paid.`),
    );

    const payment = await paymentByReference(request.reference);
    expect(payment).toMatchObject({ state: 'completed', utr: '432109876543' });
    expect(payment.paid_at).toBeInstanceOf(Date);
    const staff = await database.db.selectFrom('staff_users').select('id').where('username', '=', 'ravi.desk').executeTakeFirstOrThrow();
    expect(payment.processed_by_staff_id).toBe(staff.id);
    const appointment = await database.db.selectFrom('appointments').select('payment_status').where('id', '=', visit.id).executeTakeFirstOrThrow();
    expect(appointment.payment_status).toBe('paid');
    const receipt = await database.db.selectFrom('receipts').selectAll().where('payment_id', '=', payment.id).executeTakeFirstOrThrow();
    expect(receipt).toMatchObject({ kind: 'receipt', amount_paise: 100_000 });
    expect(receipt.snapshot).toMatchObject({ method: 'upi', paymentReference: request.reference, externalReference: '432109876543' });
  });

  it('refuses to confirm a payment twice, and a UTR already used for another payment', async () => {
    const visit = await book(2);
    const paid = JSON.parse((await roshni(['pay', 'upi', visit.appointmentNumber, '--json'])).stdout);
    expect((await roshni(['pay', 'confirm', paid.reference, '--utr', '246813579024'])).code).toBe(0);
    await expectRefused(
      () => roshni(['pay', 'confirm', paid.reference, '--utr', '555566667777']),
      4,
      `roshni: ${paid.reference} was already confirmed with UTR 246813579024; nothing was changed.`,
    );

    const other = await book(3);
    const request = JSON.parse((await roshni(['pay', 'upi', other.appointmentNumber, '--json'])).stdout);
    await expectRefused(
      () => roshni(['pay', 'confirm', request.reference, '--utr', '246813579024']),
      4,
      'roshni: The UTR 246813579024 has already been used for another payment.',
    );
    await expectRefused(() => roshni(['pay', 'upi', other.appointmentNumber, '--utr', '246813579024']), 4, 'The UTR 246813579024 has already been used');
    expect(await paymentByReference(request.reference)).toMatchObject({ state: 'pending', utr: null });
  });

  it('records a UPI payment already made with --utr, confirming the request shown before', async () => {
    const visit = await book(4);
    const request = JSON.parse((await roshni(['pay', 'upi', visit.appointmentNumber, '--json'])).stdout);
    const paid = await roshni(['pay', 'upi', visit.appointmentNumber, '--utr', 'AXIS0012345678', '--json']);
    expect(paid.code).toBe(0);
    expect(JSON.parse(paid.stdout)).toMatchObject({ reference: request.reference, utr: 'AXIS0012345678', paymentStatus: 'paid', amountPaise: 100_000 });
    expect(await database.db.selectFrom('payments').select('id').where('appointment_id', '=', visit.id).execute()).toHaveLength(1);

    // Paid straight to the clinic's UPI id, no QR shown: part of the fee.
    const walkIn = await book(5);
    const part = await roshni(['pay', 'upi', walkIn.appointmentNumber, '--amount', '250.50', '--utr', '998877665544']);
    expect(part.code).toBe(0);
    expect(part.stdout).toMatch(/Received ₹250.50 by UPI \(PAY-\d{6}, UTR 998877665544\); receipt RCPT-\d{6}. Appointment is now partially paid./);
  });

  it('refuses bad input with a clear message, exit 2 or 3, and writes nothing', async () => {
    const visit = await book(0);
    const number = visit.appointmentNumber;
    await expectRefused(() => roshni(['pay', 'upi', number, '--amount', '0']), 2, 'roshni: --amount: "0" must be more than zero.');
    await expectRefused(() => roshni(['pay', 'upi', number, '--amount=-5']), 2, 'roshni: --amount: "-5" must be an amount in rupees with at most two decimals');
    await expectRefused(
      () => roshni(['pay', 'upi', number, '--amount', '10.005']),
      2,
      '--amount: "10.005" must be an amount in rupees with at most two decimals',
    );
    await expectRefused(
      () => roshni(['pay', 'upi', number, '--amount', '1000.01']),
      2,
      `Appointment ${number} has ₹1,000.00 due; ₹1,000.01 is more than that.`,
    );
    await expectRefused(() => roshni(['pay', 'upi', 'APT-999999']), 3, 'roshni: No appointment APT-999999.');
    await expectRefused(() => roshni(['pay', 'upi', number, '--utr', '12-34']), 2, 'roshni: --utr: "12-34" must be the 6–35 character UTR');
    await expectRefused(() => roshni(['pay', 'upi', number, '--utr', '12345']), 2, '--utr: "12345" must be the 6–35 character UTR');
    await expectRefused(() => roshni(['pay', 'confirm', 'PAY-999999', '--utr', '123456789012']), 3, 'roshni: No payment PAY-999999.');
    await expectRefused(() => roshni(['pay', 'confirm', 'PAY-000001']), 2, 'roshni: --utr is required');
    await expectRefused(() => roshni(['pay', 'confirm', 'receipt-7', '--utr', '123456789012']), 2, 'reference: must be a payment reference such as PAY-000123');

    const cash = await roshni(['pay', 'cash', number, '--amount', '100', '--json']);
    const cashReference = JSON.parse(cash.stdout).reference;
    await expectRefused(() => roshni(['pay', 'confirm', cashReference, '--utr', '123456789012']), 2, `${cashReference} is a cash payment, not a UPI request.`);

    const cancelled = await book(1);
    await cancelAppointment(ctx(), { appointmentId: cancelled.id, reason: 'Family travelling' });
    await expectRefused(
      () => roshni(['pay', 'upi', cancelled.appointmentNumber]),
      2,
      `Appointment ${cancelled.appointmentNumber} is cancelled; it takes no payment.`,
    );

    const settled = await book(2);
    expect((await roshni(['pay', 'upi', settled.appointmentNumber, '--utr', '135792468013'])).code).toBe(0);
    const paidNumber = settled.appointmentNumber;
    await expectRefused(() => roshni(['pay', 'upi', paidNumber]), 2, `Appointment ${paidNumber} has nothing due.`);
  });

  it("lets the desk take UPI but not a therapist, and says how to set the clinic's UPI id when there is none", async () => {
    const visit = await book(2);
    await expectRefused(
      () => roshni(['pay', 'upi', visit.appointmentNumber], 'tara.slp'),
      5,
      'A therapist may not take payments (payment.record: admin or receptionist only).',
    );
    await database.db.updateTable('clinic_settings').set({ upi_vpa: null }).execute();
    try {
      await expectRefused(
        () => roshni(['pay', 'upi', visit.appointmentNumber]),
        2,
        `roshni: The clinic has no UPI id yet. Set the clinic's UPI id with roshni init --name "Sunrise Child Therapy" --upi-vpa <id>`,
      );
    } finally {
      await database.db.updateTable('clinic_settings').set({ upi_vpa: 'sunrise@okaxis' }).execute();
    }
  });

  describe('two staff confirming at the same moment, on two connections', () => {
    let desks: Array<Awaited<ReturnType<typeof openPostgres>>>;
    beforeAll(async () => {
      desks = await Promise.all([openPostgres(database.url), openPostgres(database.url)]);
    });
    afterAll(() => Promise.all(desks.map((d) => d.close())));
    const deskContexts = () => desks.map((d) => systemContext(d.db));

    it('one UTR read out for two requests: exactly one is confirmed', async () => {
      const [a, b] = [await book(3), await book(4)];
      const requests = [await startUpiPayment(ctx(), { appointmentId: a.id }), await startUpiPayment(ctx(), { appointmentId: b.id })];
      const before = await counts();
      const results = await Promise.allSettled(
        deskContexts().map((desk, i) => confirmUpiPayment(desk, { reference: requests[i]!.reference, utr: '777788889999' })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ kind: 'conflict', message: 'The UTR 777788889999 has already been used for another payment.' });
      const states = await database.db
        .selectFrom('payments')
        .select(['state', 'utr'])
        .where(
          'reference',
          'in',
          requests.map((r) => r.reference),
        )
        .execute();
      expect(states.map((s) => s.state).sort()).toEqual(['completed', 'pending']);
      expect(states.filter((s) => s.utr === '777788889999')).toHaveLength(1);
      expect((await counts()).receipts).toBe(before.receipts + 1);
    });

    it('one request confirmed by both desks with different UTRs: exactly one is confirmed', async () => {
      const visit = await book(5);
      const request = await startUpiPayment(ctx(), { appointmentId: visit.id });
      const results = await Promise.allSettled(
        deskContexts().map((desk, i) => confirmUpiPayment(desk, { reference: request.reference, utr: `55554444333${i}` })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(lost.reason).toMatchObject({ kind: 'conflict' });
      expect(lost.reason.message).toMatch(new RegExp(`^${request.reference} was already confirmed with UTR 55554444333[01]`));
      const payment = await paymentByReference(request.reference);
      expect(payment.state).toBe('completed');
      expect(await database.db.selectFrom('receipts').select('id').where('payment_id', '=', payment.id).execute()).toHaveLength(1);
    });
  });
});
