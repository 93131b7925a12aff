import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder, createPaymentLink } from '../../src/domain/billing/online-payments.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { loadConfig } from '../../src/infra/config.js';
import { createRazorpayGateway, razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';

describe('asking for money online: Razorpay payment links and orders', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let env: Record<string, string>;
  const appointments: string[] = [];
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin, with `environment` (Razorpay configured unless told otherwise). */
  const roshni = (argv: string[], environment: Record<string, string> = env) => staff.roshni(argv, environment);
  const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    env = { DATABASE_URL: database.url, ...fake.env() };
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { patients: 8 });
    await addClinicAdmin(database.db);
    staff = signedInCli(database.db);
    const slots = [...(await slotsOn(ctx, clinic.speech.id, tomorrow)), ...(await slotsOn(ctx, clinic.physio.id, tomorrow))];
    slots.push(...(await slotsOn(ctx, clinic.speech.id, addDays(tomorrow, 1))));
    // Each test asks for money for appointments of its own.
    for (let i = 0; i < 9; i++) {
      const patientId = clinic.patients[i % 8]!.id;
      const serviceId = i < 4 || i >= 8 ? clinic.speechService.id : clinic.physioService.id;
      appointments.push((await bookAppointment(ctx, { patientId, serviceId, slotId: slots[i]!.id })).appointmentNumber);
    }
  });
  afterAll(() => Promise.all([database?.close(), fake?.close()]));

  const paymentsOf = (appointmentNumber: string) =>
    database.db
      .selectFrom('payments as p')
      .innerJoin('appointments as a', 'a.id', 'p.appointment_id')
      .select(['p.id', 'p.reference', 'p.state', 'p.method', 'p.amount_paise', 'p.razorpay_order_id', 'p.razorpay_payment_link_id', 'p.failure_reason'])
      .where('a.appointment_number', '=', appointmentNumber)
      .orderBy('p.id')
      .execute();
  const lastRequest = () => fake.requests.at(-1)!;
  const gatewayCtx = () => ({ ...systemContext(database.db), paymentGateway: createRazorpayGateway(loadConfig(env, '/nonexistent/.env')) });

  it('sends a payment link for what is due and prints its short URL and our reference', async () => {
    const { code, stdout, stderr } = await roshni(['pay', 'link', appointments[0]!], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [payment] = await paymentsOf(appointments[0]!);
    expect(payment).toMatchObject({ state: 'pending', method: 'razorpay', amount_paise: 100000, razorpay_order_id: null });
    expect(payment!.razorpay_payment_link_id).toMatch(/^plink_/);
    const link = fake.links.get(payment!.razorpay_payment_link_id!)!;
    expect(stdout).toBe(`Payment link for ₹1,000.00 (${payment!.reference}):\n${String(link.short_url)}\n`);
    // The real SDK made the call: Basic auth with the key pair, our reference as the link's reference_id.
    const request = lastRequest();
    expect(request).toMatchObject({ method: 'POST', path: '/v1/payment_links' });
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.keyId}:${fake.keySecret}`).toString('base64')}`);
    expect(request.headers['user-agent']).toMatch(/^razorpay-node@2\./);
    expect(request.body).toMatchObject({
      amount: 100000,
      currency: 'INR',
      reference_id: payment!.reference,
      customer: { name: 'Patient 001', contact: '+919810000001' },
      notify: { sms: false, email: false },
      notes: { reference: payment!.reference },
    });
    expect(String(request.body.description)).toMatch(/^Speech therapy session, .* \(APT-\d{6}\)$/);
  });

  it('takes part of what is due with --amount, and refuses more than is due', async () => {
    const part = await roshni(['pay', 'link', appointments[1]!, '--amount', '400.50', '--json'], env);
    expect(part.code).toBe(0);
    expect(JSON.parse(part.stdout)).toMatchObject({
      amountPaise: 40050,
      reference: expect.stringMatching(/^PAY-\d{6}$/),
      shortUrl: expect.stringMatching(/^https:\/\/rzp\.io\/i\//),
    });
    const calls = fake.requests.length;
    const tooMuch = await roshni(['pay', 'link', appointments[2]!, '--amount', '1000.01'], env);
    expect(tooMuch.code).toBe(2);
    expect(tooMuch.stderr).toBe(`roshni: Appointment ${appointments[2]} has ₹1,000.00 due; ₹1,000.01 is more than that.\n`);
    expect(fake.requests).toHaveLength(calls);
    expect(await paymentsOf(appointments[2]!)).toEqual([]);
  });

  it('creates an order for Checkout and prints the order id; the secret never leaves the server', async () => {
    const { code, stdout } = await roshni(['pay', 'order', appointments[4]!], env);
    expect(code).toBe(0);
    const [payment] = await paymentsOf(appointments[4]!);
    expect(payment!.razorpay_order_id).toMatch(/^order_/);
    expect(stdout).toBe(`Razorpay order ${payment!.razorpay_order_id} for ₹800.00 (${payment!.reference}).\n`);
    expect(stdout).not.toContain(fake.keySecret);
    expect(lastRequest()).toMatchObject({
      path: '/v1/orders',
      body: { amount: 80000, currency: 'INR', receipt: payment!.reference, notes: { reference: payment!.reference } },
    });
  });

  it('refuses a cancelled or waived appointment without calling Razorpay', async () => {
    const ctx = systemContext(database.db);
    const cancelled = appointments[5]!;
    const id = (await database.db.selectFrom('appointments').select('id').where('appointment_number', '=', cancelled).executeTakeFirstOrThrow()).id;
    await cancelAppointment(ctx, { appointmentId: id, reason: 'Family travelling' });
    await database.db
      .updateTable('appointments')
      .set({ payment_status: 'waived', waived_reason: 'Hardship' })
      .where('appointment_number', '=', appointments[6]!)
      .execute();
    const calls = fake.requests.length;
    const one = await roshni(['pay', 'link', cancelled], env);
    expect([one.code, one.stderr]).toEqual([2, `roshni: Appointment ${cancelled} is cancelled; it takes no payment.\n`]);
    const two = await roshni(['pay', 'order', appointments[6]!], env);
    expect([two.code, two.stderr]).toEqual([2, `roshni: Appointment ${appointments[6]} was waived; it takes no payment.\n`]);
    expect(fake.requests).toHaveLength(calls);
  });

  it('says clearly when Razorpay is not configured', async () => {
    const { code, stderr } = await roshni(['pay', 'link', appointments[8]!], { DATABASE_URL: database.url });
    expect(code).toBe(6);
    expect(stderr).toBe('roshni: Configuration error: RAZORPAY_KEY_ID is missing: online payments need RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET.\n');
    const appointmentId = (
      await database.db.selectFrom('appointments').select('id').where('appointment_number', '=', appointments[8]!).executeTakeFirstOrThrow()
    ).id;
    await expect(createPaymentLink(systemContext(database.db), { appointmentId })).rejects.toThrow('Razorpay is not configured');
    expect(await paymentsOf(appointments[8]!)).toEqual([]);
  });

  it('cancels our pending payment when Razorpay refuses, and says so in one line', async () => {
    fake.failNext(400, 'The api key provided is invalid');
    const refused = await roshni(['pay', 'link', appointments[3]!], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'roshni: Razorpay refused to create the payment link: The api key provided is invalid (HTTP 400 BAD_REQUEST_ERROR). Nothing was charged; try again in a moment.\n',
    );
    const wrongSecret = await roshni(['pay', 'order', appointments[3]!], { ...env, RAZORPAY_KEY_SECRET: 'not-the-secret' });
    expect(wrongSecret.stderr).toContain('Razorpay refused to create the order: Authentication failed (HTTP 401');
    const unreachable = await roshni(['pay', 'order', appointments[3]!], { ...env, RAZORPAY_BASE_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^roshni: Cannot reach Razorpay to create the order: no answer from 127\.0\.0\.1:9 \(ECONNREFUSED\)\./);
    const payments = await paymentsOf(appointments[3]!);
    expect(payments.map((p) => p.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(payments[0]!.failure_reason).toContain('Razorpay did not create the link: Razorpay refused');
    const cancellations = await database.db.selectFrom('audit_log').select(['entity_id', 'after']).where('action', '=', 'payment.cancel').execute();
    expect(cancellations.map((c) => String(c.entity_id)).sort()).toEqual(payments.map((p) => String(p.id)).sort());
    // The appointment can still be paid in full afterwards.
    expect((await roshni(['pay', 'link', appointments[3]!], env)).code).toBe(0);
  });

  it('collects an existing pending payment once (how a package sale will use it)', async () => {
    const ctx = gatewayCtx();
    const appointment = await database.db
      .selectFrom('appointments')
      .select(['id', 'patient_id'])
      .where('appointment_number', '=', appointments[7]!)
      .executeTakeFirstOrThrow();
    const pending = await database.db
      .insertInto('payments')
      .values({ patient_id: appointment.patient_id, appointment_id: appointment.id, amount_paise: 50000, method: 'razorpay' })
      .returning(['id', 'reference'])
      .executeTakeFirstOrThrow();
    const order = await createOrder(ctx, { paymentId: pending.id });
    expect(order).toMatchObject({ paymentId: pending.id, reference: pending.reference, amountPaise: 50000, orderId: expect.stringMatching(/^order_/) });
    await expect(createPaymentLink(ctx, { paymentId: pending.id })).rejects.toThrow(`Payment ${pending.reference} already has a Razorpay order or link.`);
    await expect(createOrder(ctx, { paymentId: pending.id, amountPaise: 100 })).rejects.toThrow('amountPaise: is the pending payment’s own amount');
  });

  it('lets a receptionist ask for money online, not a therapist', async () => {
    const ctx = gatewayCtx();
    const appointmentId = (
      await database.db.selectFrom('appointments').select('id').where('appointment_number', '=', appointments[7]!).executeTakeFirstOrThrow()
    ).id;
    const therapist = { ...ctx, actor: { kind: 'staff' as const, staffUserId: 1, role: 'therapist' as const, therapistId: 1 } };
    await expect(createOrder(therapist, { appointmentId })).rejects.toThrow('A therapist may not take payments (payment.record: admin or receptionist only).');
  });

  it('refunds through the SDK with an idempotency key: a retry gets the same refund', async () => {
    const gateway = razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url });
    const input = { paymentId: 'pay_Fake00000001', amountPaise: 25000, idempotencyKey: 'RFD-000042', notes: { refund: 'RFD-000042' } };
    const first = await gateway.refund(input);
    const again = await gateway.refund(input);
    expect(first).toEqual({ refundId: expect.stringMatching(/^rfnd_/), status: 'pending' });
    expect(again.refundId).toBe(first.refundId);
    const request = lastRequest();
    expect(request).toMatchObject({
      path: '/v1/payments/pay_Fake00000001/refund',
      body: { amount: 25000, receipt: 'RFD-000042', notes: { refund: 'RFD-000042' } },
    });
    expect(request.headers['x-refund-idempotency']).toBe('RFD-000042');
    // The header belongs to that refund only, not to the gateway's other calls.
    await gateway.createOrder({ amountPaise: 10000, receipt: 'PAY-999999', notes: {} });
    expect(lastRequest().headers['x-refund-idempotency']).toBeUndefined();
  });
});
