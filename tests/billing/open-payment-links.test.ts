import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentLink } from '../../src/domain/billing/online-payments.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';

// One open payment link per appointment: two open links could both be paid.
describe('one open Razorpay payment link per appointment', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let env: Record<string, string>;
  const appointments: Array<{ id: number; number: string }> = [];
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin, or as `as`; with Razorpay configured unless told otherwise. */
  const roshni = (argv: string[], as?: string, environment: Record<string, string> = env) => staff.roshni(argv, environment, as);
  const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    env = { DATABASE_URL: database.url, ...fake.env() };
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { patients: 7 });
    const slots = [...(await slotsOn(ctx, clinic.speech.id, tomorrow)), ...(await slotsOn(ctx, clinic.physio.id, tomorrow))];
    await database.db
      .insertInto('staff_users')
      .values([
        { username: 'desk', full_name: 'Front Desk', role: 'receptionist' },
        { username: 'anita', full_name: 'Anita Therapist', role: 'therapist' },
      ])
      .execute();
    await addClinicAdmin(database.db);
    staff = signedInCli(database.db);
    // One appointment for each test; the last one, the first patient's second, for a cash payment.
    for (let i = 0; i < 8; i++) {
      const serviceId = i < 4 ? clinic.speechService.id : clinic.physioService.id;
      const booked = await bookAppointment(ctx, { patientId: clinic.patients[i % 7]!.id, serviceId, slotId: slots[i]!.id });
      appointments.push({ id: booked.id, number: booked.appointmentNumber });
    }
  });
  afterAll(() => Promise.all([database?.close(), fake?.close()]));

  const ctx = () => ({ ...systemContext(database.db), paymentGateway: razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url }) });
  const paymentsOf = (appointmentId: number) =>
    database.db
      .selectFrom('payments')
      .select(['id', 'state', 'amount_paise', 'razorpay_payment_link_id', 'failure_reason'])
      .where('appointment_id', '=', appointmentId)
      .orderBy('id')
      .execute();
  const linkCalls = (path: string) => fake.requests.filter((r) => r.path.startsWith(path)).length;

  it('asking again for the same amount hands out the link already sent, from the CLI too', async () => {
    const [appointment] = appointments;
    const first = await createPaymentLink(ctx(), { appointmentId: appointment!.id });
    const created = linkCalls('/v1/payment_links');
    const again = await createPaymentLink(ctx(), { appointmentId: appointment!.id });
    expect(again).toEqual({ ...first, reused: true });
    expect(first.reused).toBe(false);
    expect(linkCalls('/v1/payment_links')).toBe(created);
    const cli = await roshni(['pay', 'link', appointment!.number]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(`Payment link for ₹1,000.00 (${first.reference}), the one already sent: it is still open:\n${first.shortUrl}\n`);
    expect((await paymentsOf(appointment!.id)).map((p) => p.state)).toEqual(['pending']);
  });

  it('a different amount cancels the old link at Razorpay before making the new one', async () => {
    const appointment = appointments[1]!;
    const old = await createPaymentLink(ctx(), { appointmentId: appointment.id });
    const part = await createPaymentLink(ctx(), { appointmentId: appointment.id, amountPaise: 40000 });
    expect(part).toMatchObject({ amountPaise: 40000, reused: false });
    expect(part.paymentLinkId).not.toBe(old.paymentLinkId);
    expect(fake.links.get(old.paymentLinkId)!.status).toBe('cancelled');
    expect(() => fake.payLink(old.paymentLinkId)).toThrow('cannot pay a cancelled link');
    const payments = await paymentsOf(appointment.id);
    expect(payments.map((p) => [p.state, p.amount_paise])).toEqual([
      ['cancelled', 100000],
      ['pending', 40000],
    ]);
    expect(payments[0]!.failure_reason).toContain('replaced by a new one');
    const audit = await database.db.selectFrom('audit_log').select('action').where('entity_id', '=', String(old.paymentId)).execute();
    expect(audit.map((a) => a.action)).toContain('payment.cancel');
  });

  it('when the old link was paid before it could be cancelled, no new link is made', async () => {
    const appointment = appointments[2]!;
    const old = await createPaymentLink(ctx(), { appointmentId: appointment.id });
    fake.payLink(old.paymentLinkId); // paid at Razorpay; its webhook has not arrived yet
    const created = linkCalls('/v1/payment_links');
    await expect(createPaymentLink(ctx(), { appointmentId: appointment.id, amountPaise: 50000 })).rejects.toThrow(
      `The payment link sent earlier (${old.reference}) has just been paid`,
    );
    // One cancel attempt and one look at the link; no link created.
    expect(fake.requests.slice(-2).map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /v1/payment_links/${old.paymentLinkId}/cancel`,
      `GET /v1/payment_links/${old.paymentLinkId}`,
    ]);
    expect(linkCalls('/v1/payment_links')).toBe(created + 2);
    expect((await paymentsOf(appointment.id)).map((p) => p.state)).toEqual(['pending']);
  });

  it('two requests at once for one appointment make one link at Razorpay', async () => {
    const appointment = appointments[3]!;
    const before = fake.links.size;
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => createPaymentLink(ctx(), { appointmentId: appointment.id })));
    expect(fake.links.size).toBe(before + 1);
    const links = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.shortUrl] : [])));
    expect(links.size).toBe(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(String(o.reason)).toContain('is being made right now');
    expect((await paymentsOf(appointment.id)).map((p) => p.state)).toEqual(['pending']);
  });

  describe('roshni pay cancel: the desk withdraws a request nobody has paid', () => {
    it('withdraws a UPI request, which leaves reconcile; a new request is a new reference', async () => {
      const appointment = appointments[4]!;
      const asked = JSON.parse((await roshni(['pay', 'upi', appointment.number, '--json'])).stdout);
      const cancelled = await roshni(['pay', 'cancel', asked.reference.toLowerCase(), '--reason', 'Paying in cash instead'], 'desk');
      expect([cancelled.code, cancelled.stderr]).toEqual([0, '']);
      expect(cancelled.stdout).toBe(`Cancelled ${asked.reference} (₹800.00 by UPI).\n`);
      expect(await paymentsOf(appointment.id)).toEqual([expect.objectContaining({ state: 'cancelled', failure_reason: 'Paying in cash instead' })]);
      const reconcile = await roshni(['reconcile', '--json']);
      expect(reconcile.stdout).not.toContain(asked.reference);
      const again = JSON.parse((await roshni(['pay', 'upi', appointment.number, '--json'])).stdout);
      expect(again).toMatchObject({ reused: false });
      expect(again.reference).not.toBe(asked.reference);
      // Done is done: a cancelled request cannot be cancelled again, nor confirmed with a UTR.
      const twice = await roshni(['pay', 'cancel', asked.reference, '--reason', 'again']);
      expect([twice.code, twice.stderr]).toEqual([4, `roshni: Payment ${asked.reference} is cancelled; only a pending request can be cancelled.\n`]);
    });

    it('withdraws a Razorpay link at Razorpay too, so it can no longer be paid', async () => {
      const appointment = appointments[5]!;
      const link = await createPaymentLink(ctx(), { appointmentId: appointment.id });
      const cancelled = await roshni(['pay', 'cancel', link.reference, '--reason', 'Sent to the wrong number', '--json']);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(JSON.parse(cancelled.stdout)).toEqual({ reference: link.reference, method: 'razorpay', amountPaise: 80000, linkCancelled: true });
      expect(fake.links.get(link.paymentLinkId)!.status).toBe('cancelled');
      expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: `/v1/payment_links/${link.paymentLinkId}/cancel` });
      // The next "pay link" is a fresh link.
      const fresh = await createPaymentLink(ctx(), { appointmentId: appointment.id });
      expect(fresh).toMatchObject({ reused: false });
      expect(fresh.paymentLinkId).not.toBe(link.paymentLinkId);
    });

    it('refuses, changing nothing: a paid link, Razorpay unreachable, a completed payment, a therapist, no reason', async () => {
      const appointment = appointments[6]!;
      const link = await createPaymentLink(ctx(), { appointmentId: appointment.id });
      const unreachable = await roshni(['pay', 'cancel', link.reference, '--reason', 'Wrong amount'], undefined, {
        ...env,
        RAZORPAY_BASE_URL: 'http://127.0.0.1:9',
      });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/^roshni: Cannot reach Razorpay to cancel the payment link: .*The request is still open; try again in a moment\.\n$/);
      const unconfigured = await roshni(['pay', 'cancel', link.reference, '--reason', 'Wrong amount'], undefined, { DATABASE_URL: database.url });
      expect([unconfigured.code, unconfigured.stderr]).toEqual([
        2,
        `roshni: Payment ${link.reference} is a Razorpay link: set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET so it can be cancelled at Razorpay.\n`,
      ]);
      const therapist = await roshni(['pay', 'cancel', link.reference, '--reason', 'Wrong amount'], 'anita');
      expect(therapist.code).toBe(5);
      const noReason = await roshni(['pay', 'cancel', link.reference]);
      expect([noReason.code, noReason.stderr]).toEqual([2, 'roshni: --reason is required: say why the request is withdrawn.\n']);
      fake.payLink(link.paymentLinkId);
      const paid = await roshni(['pay', 'cancel', link.reference, '--reason', 'Wrong amount']);
      expect([paid.code, paid.stderr]).toEqual([
        4,
        `roshni: The payment link sent earlier (${link.reference}) has just been paid; it shows here once Razorpay confirms it.\n`,
      ]);
      expect((await paymentsOf(appointment.id)).map((p) => p.state)).toEqual(['pending']);

      const cash = JSON.parse((await roshni(['pay', 'cash', appointments[7]!.number, '--amount', '100', '--json'])).stdout);
      const completed = await roshni(['pay', 'cancel', cash.reference, '--reason', 'Mistake']);
      expect([completed.code, completed.stderr]).toEqual([
        4,
        `roshni: Payment ${cash.reference} is completed; only a pending request can be cancelled (money received is refunded: roshni refund ${cash.reference} …).\n`,
      ]);
    });
  });
});
