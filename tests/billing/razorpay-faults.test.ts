import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPaymentLink } from '../../src/domain/billing/online-payments.js';
import { recordManualPayment } from '../../src/domain/billing/record-manual-payment.js';
import type { DomainContext } from '../../src/domain/context.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { replyAsText } from '../../src/bot/channels/text-render.js';
import { engineFor, linkedChat } from '../bot/support.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';
import { waitFor } from '../support/wait.js';

// Razorpay hanging, dropping its answers or unreachable: no row lock waits on it (the desk and the
// family's chat go on), the caller hears "try again", and no request is left half-made. A link
// Razorpay made without our hearing is found by its reference and handed out, never made twice.

describe('Razorpay failing while a payment link is asked for', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let ctx: DomainContext;
  let desk: DomainContext;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock('2031-03-10T03:30:00Z');
  const TIMEOUT_MS = 4_000;

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 5, days: 6 });
    const staff = await database.db
      .insertInto('staff_users')
      .values({ username: 'desk', full_name: 'Front Desk', role: 'receptionist' })
      .returning('id')
      .executeTakeFirstOrThrow();
    desk = { ...ctx, actor: { kind: 'staff', staffUserId: staff.id, role: 'receptionist', therapistId: null } };
    await addClinicAdmin(database.db);
  });
  beforeEach(() => fake.faults.clear());
  afterAll(() => Promise.all([database?.close(), fake?.close()]));

  const gateway = (timeoutMs = TIMEOUT_MS) => razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url, timeoutMs });
  /** An appointment for the n-th patient (n + 1 days ahead), and that patient's chat, linked and at the menu. */
  const family = async (n: number) => {
    const slots = await slotsOn(ctx, clinic.speech.id, addDays(clinicDate(clock.now(), ctx.timezone), 1 + n));
    const booked = await bookAppointment(ctx, { patientId: clinic.patients[n]!.id, serviceId: clinic.speechService.id, slotId: slots[0]!.id });
    const chatId = `razorpay-fault-${n}`;
    await linkedChat(database.db, { channel: 'telegram', chatId, patientId: clinic.patients[n]!.id });
    const engine = engineFor(ctx, { paymentGateway: gateway() });
    const send = async (input: { kind: 'text'; text: string } | { kind: 'choice'; value: string }) =>
      (await engine.handle({ channel: 'telegram', chatId, input })).map(replyAsText).join('\n');
    return {
      appointment: booked,
      send,
      /** "Pay dues" from the menu: the appointments with something due. */
      openDues: async () => (await send({ kind: 'text', text: 'menu' }), send({ kind: 'choice', value: 'pay' })),
      /** Picks this appointment among the dues: "pay now". */
      payNow: () => send({ kind: 'choice', value: `appt:${booked.id}` }),
    };
  };
  const paymentsOf = (appointmentId: number) =>
    database.db
      .selectFrom('payments')
      .select(['method', 'state', 'razorpay_payment_link_id', 'failure_reason'])
      .where('appointment_id', '=', appointmentId)
      .orderBy('id')
      .execute();
  const linksFor = (appointmentNumber: string) => [...fake.links.values()].filter((l) => String(l.description).includes(appointmentNumber));
  const timed = async <T>(work: Promise<T>) => {
    const began = performance.now();
    const value = await work;
    return { value, ms: performance.now() - began };
  };

  it("Razorpay hanging on the link: the desk's cash payment and the family's next message go through at once; the hung call times out, leaving nothing half-made", async () => {
    const { appointment, send, openDues, payNow } = await family(0);
    await openDues();
    fake.faults.next({ kind: 'hang' });
    const struck = fake.faults.struck;
    let settled = false;
    const paying = timed(payNow()).finally(() => (settled = true));
    await waitFor(() => fake.faults.struck === struck + 1, 10_000, 'the link request to reach Razorpay');

    // The chat's row and the appointment's row are free while Razorpay hangs.
    const cash = await timed(recordManualPayment(desk, { appointmentId: appointment.id, method: 'cash', amountPaise: appointment.pricePaise }));
    const nextMessage = await timed(send({ kind: 'text', text: 'menu' }));
    expect(settled).toBe(false);
    expect(cash.ms).toBeLessThan(2_000);
    expect(nextMessage.ms).toBeLessThan(2_000);
    expect(nextMessage.value).toContain('Book an appointment');

    const { value: reply, ms } = await paying;
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(reply).toContain('the online payment could not be set up just now');
    // Razorpay made no link (it was asked once, then asked for the link by our reference): the request is cancelled, saying why.
    expect(linksFor(appointment.appointmentNumber)).toEqual([]);
    const payments = await paymentsOf(appointment.id);
    expect(payments.map((p) => [p.method, p.state])).toEqual([
      ['razorpay', 'cancelled'],
      ['cash', 'completed'],
    ]);
    expect(payments[0]!.failure_reason).toMatch(
      /^Razorpay did not create the link: Cannot reach Razorpay to create the payment link: no answer from 127\.0\.0\.1:\d+ within 4 s\./,
    );
    const appointmentNow = await database.db.selectFrom('appointments').select('payment_status').where('id', '=', appointment.id).executeTakeFirstOrThrow();
    expect(appointmentNow.payment_status).toBe('paid');
    // Asking again finds nothing due, and asks Razorpay nothing.
    const requests = fake.requests.length;
    expect(await openDues()).toContain('You have nothing to pay');
    expect(fake.requests.length).toBe(requests);
  }, 30_000);

  it('Razorpay making the link but its answer lost: the link is found by its reference and handed out, and asking again gives the same one', async () => {
    const { appointment, openDues, payNow } = await family(1);
    await openDues();
    fake.faults.next({ kind: 'answer-lost' });
    const reply = await payNow();
    const [link] = linksFor(appointment.appointmentNumber);
    expect(link).toBeDefined();
    expect(reply).toContain(String(link!.short_url));
    await openDues();
    expect(await payNow()).toContain(String(link!.short_url));
    expect(linksFor(appointment.appointmentNumber)).toHaveLength(1);
    expect((await paymentsOf(appointment.id)).map((p) => [p.state, p.razorpay_payment_link_id])).toEqual([['pending', link!.id]]);
  });

  it('a request whose answer never came, with Razorpay unreachable even to ask about it, waits; the next request after it settles it, making no second link', async () => {
    const { appointment, openDues, payNow } = await family(2);
    await openDues();
    fake.faults.next({ kind: 'answer-lost' }); // Razorpay makes the link; we never hear
    fake.faults.next({ kind: 'drop' }); // nor can we ask about it
    expect(await payNow()).toContain('could not be set up just now');
    expect((await paymentsOf(appointment.id)).map((p) => [p.state, p.razorpay_payment_link_id])).toEqual([['pending', null]]);
    // At once, the request is still in flight as far as anyone can tell: no second link is made.
    await openDues();
    expect(await payNow()).toContain('could not be set up just now');
    expect(linksFor(appointment.appointmentNumber)).toHaveLength(1);
    // A minute on (the database's clock decides), the next request looks for the link by reference and hands it out.
    await sql`UPDATE payments SET created_at = created_at - interval '2 minutes' WHERE appointment_id = ${appointment.id}`.execute(database.db);
    const [made] = linksFor(appointment.appointmentNumber);
    await openDues();
    expect(await payNow()).toContain(String(made!.short_url));
    expect(linksFor(appointment.appointmentNumber)).toHaveLength(1);
    expect((await paymentsOf(appointment.id)).map((p) => [p.state, p.razorpay_payment_link_id])).toEqual([['pending', made!.id]]);
  });

  it('a request left by a process that stopped before asking Razorpay is cancelled by the next one, which makes the one link', async () => {
    const { appointment } = await family(3);
    await sql`
      INSERT INTO payments (patient_id, appointment_id, amount_paise, method, state, created_at)
      VALUES (${clinic.patients[3]!.id}, ${appointment.id}, ${appointment.pricePaise}, 'razorpay', 'pending', now() - interval '10 minutes')`.execute(
      database.db,
    );
    const link = await createPaymentLink({ ...desk, paymentGateway: gateway() }, { appointmentId: appointment.id });
    expect(link).toMatchObject({ reused: false, amountPaise: appointment.pricePaise });
    const payments = await paymentsOf(appointment.id);
    expect(payments.map((p) => [p.state, p.razorpay_payment_link_id])).toEqual([
      ['cancelled', null],
      ['pending', link.paymentLinkId],
    ]);
    expect(payments[0]!.failure_reason).toBe('Razorpay made no link for this request (its answer never came)');
    expect(linksFor(appointment.appointmentNumber)).toHaveLength(1);
  });

  it('roshni pay link with Razorpay hanging: the desk hears "try again" within the 8-second limit, and nothing is left pending', async () => {
    const { appointment } = await family(4);
    fake.faults.next({ kind: 'hang' });
    const { value: cli, ms } = await timed(
      signedInCli(database.db).roshni(['pay', 'link', appointment.appointmentNumber], { DATABASE_URL: database.url, ...fake.env() }),
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(
      /^roshni: Cannot reach Razorpay to create the payment link: no answer from 127\.0\.0\.1:\d+ within 8 s\. Nothing was charged; try again in a moment\.\n$/,
    );
    expect(ms).toBeLessThan(20_000);
    expect((await paymentsOf(appointment.id)).map((p) => p.state)).toEqual(['cancelled']);
    expect(linksFor(appointment.appointmentNumber)).toEqual([]);
  }, 40_000);
});
