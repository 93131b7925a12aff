import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCheckoutSignature } from '../../src/domain/billing/checkout-signature.js';
import { createOrder } from '../../src/domain/billing/online-payments.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { startClinicServer } from '../../src/http/clinic-server.js';
import { openPostgres } from '../../src/infra/db/database.js';
import type { RunningServer } from '../../src/http/server.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deliverWebhook, razorpayEvent, signWebhook, startFakeRazorpay, type FakeRazorpay, type WebhookEvent } from '../support/fake-razorpay.js';

describe('the Razorpay webhook takes only what Razorpay signed', () => {
  // Each test opens a clinic of its own, where a patient has just paid an order at Razorpay: its
  // payment.captured event is yet to be delivered, and the clinic's server has logged nothing yet.
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let server: RunningServer;
  let payment: { paymentId: number; orderId: string };
  let captured: WebhookEvent;
  let log: string[];

  beforeEach(async () => {
    log = [];
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { patients: 1 });
    const tomorrow = addDays(clinicDate(new Date(), ctx.timezone), 1);
    const [slot] = await slotsOn(ctx, clinic.speech.id, tomorrow);
    const booked = await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: slot!.id });
    const gateway = razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url });
    payment = await createOrder({ ...ctx, paymentGateway: gateway }, { appointmentId: booked.id });
    captured = fake.payOrder(payment.orderId).captured;
    server = await startClinicServer({ ctx, host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [fake.webhookSecret], log: (line) => log.push(line) });
  });
  afterEach(() => Promise.all([server?.close(), database?.close(), fake?.close()]));

  const deliver = (event: WebhookEvent, options: { signature?: string | null; eventId?: string | null; body?: string } = {}) =>
    deliverWebhook(server.url, event, { secret: fake.webhookSecret, ...options });

  async function expectNothingChanged() {
    expect(await database.db.selectFrom('webhook_events').select('id').execute()).toEqual([]);
    expect(await database.db.selectFrom('receipts').select('id').execute()).toEqual([]);
    const row = await database.db.selectFrom('payments').select(['state', 'razorpay_payment_id']).where('id', '=', payment.paymentId).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'pending', razorpay_payment_id: null });
  }

  it.each([
    ['no signature', () => null],
    ['a signature made with another secret', (body: string) => signWebhook(body, 'not-the-webhook-secret')],
    ['the signature of another body', () => signWebhook('{}', fake.webhookSecret)],
    ['a signature that is not hex', () => 'definitely-not-a-signature'],
  ])('answers 400 to a delivery with %s, and changes nothing', async (_, signatureOf) => {
    const { status, body } = await deliver(captured, { signature: signatureOf(captured.body) });
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'The X-Razorpay-Signature does not match the body.' });
    await expectNothingChanged();
  });

  it('answers 400 to a body re-serialised after signing: the bytes are what is signed', async () => {
    const reserialised = JSON.stringify(JSON.parse(captured.body), null, 2);
    expect((await deliver(captured, { body: reserialised })).status).toBe(400);
    const tampered = captured.body.replace(/"amount":100000/g, '"amount":100');
    expect(tampered).not.toBe(captured.body);
    expect((await deliver(captured, { body: tampered })).status).toBe(400);
    await expectNothingChanged();
  });

  it('answers 400 to a signed body that is not JSON, or not a Razorpay event', async () => {
    const notJson = { eventId: 'evt_NotJson0001', body: '{"event": "payment.captured",' };
    expect(await deliver(notJson)).toEqual({ status: 400, body: { error: 'The webhook body is not JSON.' } });
    const notEvent = { eventId: 'evt_NotEvent001', body: JSON.stringify({ hello: 'world' }) };
    expect(await deliver(notEvent)).toEqual({ status: 400, body: { error: 'The webhook body is not a Razorpay event.' } });
    await expectNothingChanged();
  });

  it('answers 413 to a body over 1 MB without reading it all', async () => {
    const huge = razorpayEvent('payment.captured', { payment: { entity: { padding: 'x'.repeat(1024 * 1024) } } });
    const { status } = await deliver(huge);
    expect(status).toBe(413);
    await expectNothingChanged();
  });

  it('answers 503 while no webhook secret is configured, so that Razorpay retries later', async () => {
    const unconfigured = await startClinicServer({ ctx: systemContext(database.db), host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [] });
    try {
      expect((await deliverWebhook(unconfigured.url, captured, { secret: fake.webhookSecret })).status).toBe(503);
    } finally {
      await unconfigured.close();
    }
    await expectNothingChanged();
  });

  it('answers 500 when the database cannot be reached, so that Razorpay retries, and logs only the error code', async () => {
    const unreachable = await openPostgres('postgres://roshni@127.0.0.1:9/roshni');
    const lines: string[] = [];
    const down = await startClinicServer({
      ctx: systemContext(unreachable.db),
      host: '127.0.0.1',
      port: 0,
      razorpayWebhookSecrets: [fake.webhookSecret],
      log: (line) => lines.push(line),
    });
    try {
      expect(await deliverWebhook(down.url, captured, { secret: fake.webhookSecret })).toEqual({ status: 500, body: { error: 'internal error' } });
      expect(lines).toEqual([expect.stringMatching(/^POST \/webhooks\/razorpay 500 \d+ms failed: Error ECONNREFUSED$/)]);
    } finally {
      await Promise.all([down.close(), unreachable.close()]);
    }
  });

  it('answers GET /health, and 404 or 405 for anything else', async () => {
    const health = await fetch(`${server.url}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect((await fetch(`${server.url}/webhooks/razorpay`)).status).toBe(405);
    expect((await fetch(`${server.url}/health`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${server.url}/admin`)).status).toBe(404);
  });

  it('takes the very same event once it is signed correctly', async () => {
    expect(await deliver(captured)).toEqual({ status: 200, body: { status: 'ok', outcome: 'applied' } });
    const row = await database.db.selectFrom('payments').select('state').where('id', '=', payment.paymentId).executeTakeFirstOrThrow();
    expect(row.state).toBe('completed');
  });

  it('logs one line per request, and never a body, a name or a phone number', async () => {
    expect((await deliver(captured, { signature: null })).status).toBe(400);
    expect((await deliver(captured, { signature: signWebhook('{}', fake.webhookSecret) })).status).toBe(400);
    expect((await deliver({ eventId: 'evt_NotJson0002', body: '{"event": "payment.captured",' })).status).toBe(400);
    expect((await deliver(captured)).status).toBe(200);
    expect((await deliver(captured)).status).toBe(200);
    expect(log).toHaveLength(5);
    expect(log).toContain(log.find((l) => /^POST \/webhooks\/razorpay 200 \d+ms payment\.captured evt_\w+ applied$/.test(l)));
    expect(log.filter((l) => l.startsWith('POST /webhooks/razorpay 400'))).toHaveLength(3);
    const all = log.join('\n');
    for (const secret of ['Patient 001', '+9198', '9812345678', 'asha', '"amount"', '{']) expect(all).not.toContain(secret);
  });
});

describe('checking what Razorpay Checkout hands back to the browser', () => {
  const keySecret = 'the-key-secret-only-the-server-has';
  const signed = (orderId: string, paymentId: string, secret = keySecret) => createHmac('sha256', secret).update(`${orderId}|${paymentId}`).digest('hex');

  it('accepts the signature of order_id|payment_id under the key secret', () => {
    const signature = signed('order_Fake0001', 'pay_Fake0001');
    expect(verifyCheckoutSignature({ orderId: 'order_Fake0001', paymentId: 'pay_Fake0001', signature }, keySecret)).toBe(true);
  });

  it('refuses a signature for other ids, under another secret, or that is not a signature', () => {
    const signature = signed('order_Fake0001', 'pay_Fake0001');
    expect(verifyCheckoutSignature({ orderId: 'order_Fake0001', paymentId: 'pay_Fake0002', signature }, keySecret)).toBe(false);
    expect(verifyCheckoutSignature({ orderId: 'pay_Fake0001', paymentId: 'order_Fake0001', signature }, keySecret)).toBe(false);
    expect(
      verifyCheckoutSignature(
        { orderId: 'order_Fake0001', paymentId: 'pay_Fake0001', signature: signed('order_Fake0001', 'pay_Fake0001', 'webhook-secret') },
        keySecret,
      ),
    ).toBe(false);
    expect(verifyCheckoutSignature({ orderId: 'order_Fake0001', paymentId: 'pay_Fake0001', signature: signature.slice(0, 63) }, keySecret)).toBe(false);
    expect(() => verifyCheckoutSignature({ orderId: '', paymentId: 'pay_Fake0001', signature }, keySecret)).toThrow('orderId');
  });
});
