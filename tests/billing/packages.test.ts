import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { completeAppointment } from '../../src/domain/scheduling/attendance.js';
import { addDays, clinicDate, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deliverWebhook, startFakeRazorpay } from '../support/fake-razorpay.js';
import { startClinicServer } from '../../src/http/clinic-server.js';

describe('session packages', () => {
  // Each test opens a clinic of its own.
  let database: TestDatabase;
  let env: Record<string, string>;
  // The CLI sells on the real clock, so the sessions are in the coming days.
  const today = clinicDate(new Date(), 'Asia/Kolkata');
  let clock: ReturnType<typeof fixedClock>;
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin, or as `as`. */
  const roshni = (argv: string[], as?: string, environment: Record<string, string> = env) => staff.roshni(argv, environment, as);

  beforeEach(async () => {
    clock = fixedClock(new Date());
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    await addClinicAdmin(database.db);
    staff = signedInCli(database.db);
  });
  afterEach(() => database?.close());

  /** Patient 001 comes to a clinic that sells three speech sessions for ₹2,700. */
  async function speechPlanOnOffer() {
    await seedClinic(systemContext(database.db, clock), { patients: 1, days: 6 });
    const plan = await roshni([
      'package',
      'add-plan',
      '--code',
      'speech-3',
      '--name',
      'Three speech sessions',
      '--service',
      'speech-therapy',
      '--sessions',
      '3',
      '--price',
      '2700',
    ]);
    expect(plan.code).toBe(0);
  }

  it('sells three sessions paid once; each completed session draws one, and the fourth is charged', async () => {
    const ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 1, days: 6 });
    const plan = await roshni([
      'package',
      'add-plan',
      '--code',
      'speech-3',
      '--name',
      'Three speech sessions',
      '--service',
      'speech-therapy',
      '--sessions',
      '3',
      '--price',
      '2700',
      '--json',
    ]);
    expect(plan.code).toBe(0);
    const sale = await roshni(['package', 'sell', '--patient', 'Patient 001', '--plan', 'speech-3', '--method', 'upi', '--utr', 'UTR998877665', '--json']);
    expect(sale.code).toBe(0);
    expect(JSON.parse(sale.stdout)).toMatchObject({ sessions: 3, receiptNumber: expect.stringMatching(/^RCPT-/) });

    const patient = clinic.patients[0]!;
    for (const [i, date] of [1, 2, 3, 4].map((d) => addDays(today, d)).entries()) {
      const [slot] = await slotsOn(ctx, clinic.speech.id, date);
      clock.set(zonedInstant(today, '00:00', 'Asia/Kolkata'));
      const booked = await bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, slotId: slot!.id });
      clock.set(zonedInstant(date, '10:00', 'Asia/Kolkata'));
      const done = await completeAppointment(ctx, { appointmentId: booked.id });
      expect(done.payment_status, `session ${i + 1}`).toBe(i < 3 ? 'paid' : 'pending');
    }
    const balances = JSON.parse((await roshni(['package', 'list', '--patient', 'Patient 001', '--json'])).stdout);
    expect(balances).toEqual([expect.objectContaining({ sessionsLeft: 0, sessionsTotal: 3, status: 'exhausted' })]);
    const dues = JSON.parse((await roshni(['dues', '--json'])).stdout);
    expect(dues).toEqual([expect.objectContaining({ duePaise: 100000, sessions: 1 })]);
  });

  it('refuses a receptionist adding a plan, and a sale of an unknown plan', async () => {
    await speechPlanOnOffer();
    await database.db.insertInto('staff_users').values({ username: 'desk', full_name: 'Front Desk', role: 'receptionist' }).execute();
    const denied = await roshni(
      ['package', 'add-plan', '--code', 'ot-5', '--name', 'Five OT sessions', '--service', 'occupational-therapy', '--sessions', '5', '--price', '4500'],
      'desk',
    );
    expect(denied.code).toBe(5);
    const unknown = await roshni(['package', 'sell', '--patient', 'Patient 001', '--plan', 'nope', '--method', 'cash']);
    expect(unknown.code).toBe(3);
    const before = await database.db.selectFrom('patient_packages').select('id').execute();
    const offline = await roshni(['package', 'sell', '--patient', 'Patient 001', '--plan', 'speech-3', '--method', 'razorpay']);
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain('Razorpay is not configured');
    expect(await database.db.selectFrom('patient_packages').select('id').execute()).toHaveLength(before.length);
  });

  it('sells a package online: a payment link now, active once Razorpay says it is paid', async () => {
    await speechPlanOnOffer();
    const fake = await startFakeRazorpay();
    const server = await startClinicServer({ ctx: systemContext(database.db), host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [fake.webhookSecret] });
    try {
      const sale = await roshni(['package', 'sell', '--patient', 'Patient 001', '--plan', 'speech-3', '--method', 'razorpay', '--json'], undefined, {
        ...env,
        ...fake.env(),
      });
      expect(sale.stderr).toBe('');
      const sold = JSON.parse(sale.stdout);
      expect(sold).toMatchObject({ receiptNumber: null, paymentLink: { shortUrl: expect.stringMatching(/^https?:/) } });
      const status = () => database.db.selectFrom('patient_packages').select('status').where('id', '=', sold.packageId).executeTakeFirstOrThrow();
      expect((await status()).status).toBe('pending_payment');

      const { linkPaid } = fake.payLink(sold.paymentLink.paymentLinkId);
      expect((await deliverWebhook(server.url, linkPaid, { secret: fake.webhookSecret })).status).toBe(200);
      expect((await status()).status).toBe('active');
      const receipt = await database.db.selectFrom('receipts').select('receipt_number').where('payment_id', '=', sold.paymentId).execute();
      expect(receipt).toHaveLength(1);
    } finally {
      await Promise.all([server.close(), fake.close()]);
    }
  });
});
