import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrder } from '../../src/domain/billing/online-payments.js';
import { refundPayment } from '../../src/domain/billing/refund-payment.js';
import type { DomainContext } from '../../src/domain/context.js';
import { ConflictError } from '../../src/domain/errors.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { startClinicServer } from '../../src/http/clinic-server.js';
import type { RunningServer } from '../../src/http/server.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deliverWebhook, startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';

// A Razorpay payment is refunded through Razorpay: pending until its refund.processed webhook,
// then the credit note; a refusal frees the amount again.
describe('refunds of Razorpay payments', () => {
  // Each test opens a clinic of its own, where a patient has paid ₹1,000 for tomorrow's session through Razorpay.
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let server: RunningServer;
  let ctx: DomainContext;
  let paymentReference: string;
  let appointmentId: number;

  beforeEach(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    ctx = { ...systemContext(database.db), paymentGateway: razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url }) };
    const clinic = await seedClinic(ctx, { patients: 1, days: 3 });
    const [slot] = await slotsOn(ctx, clinic.speech.id, addDays(clinicDate(new Date(), ctx.timezone), 1));
    appointmentId = (await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: slot!.id })).id;
    server = await startClinicServer({ ctx: systemContext(database.db), host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [fake.webhookSecret] });
    const order = await createOrder(ctx, { appointmentId });
    const { captured } = fake.payOrder(order.orderId);
    expect((await deliverWebhook(server.url, captured, { secret: fake.webhookSecret })).status).toBe(200);
    paymentReference = (await database.db.selectFrom('payments').select('reference').where('id', '=', order.paymentId).executeTakeFirstOrThrow()).reference;
  });
  afterEach(() => Promise.all([server?.close(), database?.close(), fake?.close()]));

  const refunds = () => database.db.selectFrom('refunds').select(['reference', 'state', 'amount_paise', 'razorpay_refund_id']).orderBy('id').execute();

  it('a refusal by Razorpay marks the refund failed and frees the amount', async () => {
    fake.failNext(400, 'The payment has been fully refunded already');
    await expect(refundPayment(ctx, { paymentReference, amountPaise: 30000, reason: 'Session cut short' })).rejects.toBeInstanceOf(ConflictError);
    expect(await refunds()).toEqual([expect.objectContaining({ state: 'failed', amount_paise: 30000 })]);
  });

  it('asks Razorpay once per refund, stays pending, and settles with a credit note when the webhook comes', async () => {
    const result = await refundPayment(ctx, { paymentReference, reason: 'Therapist unwell' });
    expect(result).toMatchObject({ state: 'pending', amountPaise: 100000, creditNoteNumber: null });
    const asked = fake.requests.filter((r) => r.path.endsWith('/refund'));
    expect(asked.at(-1)!.headers['x-refund-idempotency']).toBe(result.reference);
    const pending = (await refunds()).at(-1)!;
    expect(pending).toMatchObject({ state: 'pending', reference: result.reference });

    const delivered = await deliverWebhook(server.url, fake.refundProcessed(pending.razorpay_refund_id!), { secret: fake.webhookSecret });
    expect(delivered.status).toBe(200);
    expect((await refunds()).at(-1)).toMatchObject({ state: 'processed' });
    const note = await database.db.selectFrom('receipts').select(['receipt_number', 'kind']).where('kind', '=', 'credit_note').execute();
    expect(note).toEqual([{ receipt_number: 'RCPT-CN-000001', kind: 'credit_note' }]);
    const appointment = await database.db.selectFrom('appointments').select('payment_status').where('id', '=', appointmentId).executeTakeFirstOrThrow();
    expect(appointment.payment_status).toBe('refunded');
  });

  it('refuses a second refund once everything has gone back', async () => {
    const all = await refundPayment(ctx, { paymentReference, reason: 'Therapist unwell' });
    const { razorpay_refund_id } = (await refunds()).find((r) => r.reference === all.reference)!;
    expect((await deliverWebhook(server.url, fake.refundProcessed(razorpay_refund_id!), { secret: fake.webhookSecret })).status).toBe(200);
    await expect(refundPayment(ctx, { paymentReference, amountPaise: 100, reason: 'Again' })).rejects.toThrow('left to refund');
  });
});
