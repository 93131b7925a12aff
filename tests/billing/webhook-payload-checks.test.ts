import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrder } from '../../src/domain/billing/online-payments.js';
import { handleRazorpayWebhook } from '../../src/domain/billing/razorpay-webhook.js';
import type { DomainContext } from '../../src/domain/context.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { signWebhook, startFakeRazorpay, type FakeRazorpay, type WebhookEvent } from '../support/fake-razorpay.js';

// What a signed Razorpay event may do is decided by its signed body: its own ids (not the unsigned
// X-Razorpay-Event-Id), its age (no older than Razorpay retries), its currency and its amount.

describe('a signed Razorpay event is held to what it says', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let ctx: DomainContext;
  let payment: { paymentId: number; orderId: string; reference: string };
  let captured: WebhookEvent;
  // The webhook's clock is pinned; the events say when Razorpay raised them by it.
  const clock = fixedClock('2026-12-01T10:00:00Z');
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

  beforeEach(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    const booking = systemContext(database.db);
    const clinic = await seedClinic(booking, { patients: 1 });
    await addStaffUser(booking, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    const [slot] = await slotsOn(booking, clinic.speech.id, addDays(clinicDate(new Date(), booking.timezone), 1));
    const booked = await bookAppointment(booking, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: slot!.id });
    payment = await createOrder(
      { ...booking, paymentGateway: razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url }) },
      { appointmentId: booked.id },
    );
    captured = fake.payOrder(payment.orderId).captured;
    ctx = systemContext(database.db, clock);
  });
  afterEach(() => Promise.all([database?.close(), fake?.close()]));

  /** The event as Razorpay might have signed it: raised at `createdAt`, its payment entity changed by `edit`. */
  function event(createdAt: number, edit: (payment: Record<string, unknown>) => void = () => {}): Buffer {
    const body = JSON.parse(captured.body);
    body.created_at = createdAt;
    edit(body.payload.payment.entity);
    return Buffer.from(JSON.stringify(body));
  }
  const deliver = (rawBody: Buffer, eventId = `evt_${randomBytes(7).toString('hex')}`) =>
    handleRazorpayWebhook(ctx, { rawBody, signature: signWebhook(rawBody, fake.webhookSecret), eventId }, [fake.webhookSecret]);
  const state = () => database.db.selectFrom('payments').select(['state', 'razorpay_payment_id']).where('id', '=', payment.paymentId).executeTakeFirstOrThrow();
  const receipts = async () => (await database.db.selectFrom('receipts').select('id').execute()).length;
  const alerts = () => database.db.selectFrom('notifications').select(['kind', 'payload']).where('kind', '=', 'admin_alert').execute();

  it('a signed body replayed under a new X-Razorpay-Event-Id is a duplicate: applied once, one receipt', async () => {
    const body = event(nowSeconds() - 60);
    expect((await deliver(body)).status).toBe('applied');
    expect((await deliver(body)).status).toBe('duplicate');
    expect((await deliver(body, 'evt_attacker0000001')).status).toBe('duplicate');
    // The same event re-serialised (other bytes, other key order) is still the same payment's capture.
    const reordered = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(body.toString())).reverse())));
    expect((await deliver(reordered)).status).toBe('duplicate');
    expect(await receipts()).toBe(1);
    const stored = await database.db.selectFrom('webhook_events').select(['payload_key']).execute();
    expect(stored).toEqual([{ payload_key: expect.stringMatching(/^payment\.captured:pay_/) }]);
  });

  it("an event older than Razorpay's 24-hour retry window is recorded, not applied, and the admins are told", async () => {
    const stale = await deliver(event(nowSeconds() - 24 * 3600 - 60));
    expect(stale.status).toBe('stale');
    expect(await state()).toEqual({ state: 'pending', razorpay_payment_id: null });
    expect(await receipts()).toBe(0);
    const [stored] = await database.db.selectFrom('webhook_events').select(['outcome']).execute();
    expect(stored!.outcome).toMatch(/^stale: raised at 2026-11-30T09:59:00.000Z, more than 24 h ago/);
    expect(await alerts()).toEqual([
      { kind: 'admin_alert', payload: expect.objectContaining({ about: 'payment', text: expect.stringContaining('not applied') }) },
    ]);
    // Just inside the window, Razorpay's own last retry is taken (another event: a fresh payment of this order is still Razorpay's to deliver).
    expect((await deliver(event(nowSeconds() - 24 * 3600 + 60, (p) => (p.id = 'pay_LastRetry00001')))).status).toBe('applied');
  });

  it.each([
    ['another currency', (p: Record<string, unknown>) => (p.currency = 'USD'), /in USD, not INR/],
    ['a smaller amount', (p: Record<string, unknown>) => (p.amount = 100), /paid ₹1\.00 for PAY-\d+ of ₹1,000\.00: not marked paid/],
    ['a larger amount', (p: Record<string, unknown>) => (p.amount = 1_000_000), /paid ₹10,000\.00/],
    ['no currency', (p: Record<string, unknown>) => delete p.currency, /not understood \(payment\.entity\.currency\)/],
  ])('a payment in %s is never marked paid: recorded for the desk, every admin told', async (_, edit, detail) => {
    const result = await deliver(event(nowSeconds() - 60, edit));
    expect(result.status).toBe('attention');
    expect(result.detail).toMatch(detail);
    expect(await state()).toEqual({ state: 'pending', razorpay_payment_id: null });
    expect(await receipts()).toBe(0);
    const [alert] = await alerts();
    expect(alert!.payload).toMatchObject({ about: 'payment', text: expect.stringMatching(detail) });
    // No one's name or phone goes into the alert.
    expect(JSON.stringify(alert!.payload)).not.toMatch(/asha|\+91/i);
  });
});
