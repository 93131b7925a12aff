import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder, createPaymentLink } from '../../src/domain/billing/online-payments.js';
import type { DomainContext } from '../../src/domain/context.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { startClinicServer } from '../../src/http/clinic-server.js';
import type { RunningServer } from '../../src/http/server.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deliverWebhook, razorpayEvent, startFakeRazorpay, type FakeRazorpay, type WebhookEvent } from '../support/fake-razorpay.js';

describe('Razorpay events: every payment recorded once, whatever the order or the repetition', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let server: RunningServer;
  let ctx: DomainContext;
  const appointmentIds: number[] = [];
  let next = 0;

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    const gateway = razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url });
    ctx = { ...systemContext(database.db), paymentGateway: gateway };
    const clinic = await seedClinic(ctx, { patients: 4, days: 4 });
    const tomorrow = addDays(clinicDate(new Date(), ctx.timezone), 1);
    const slots = [];
    for (let d = 0; d < 3; d++) slots.push(...(await slotsOn(ctx, clinic.speech.id, addDays(tomorrow, d))));
    for (let i = 0; i < 12; i++) {
      const booked = await bookAppointment(ctx, { patientId: clinic.patients[i % 4]!.id, serviceId: clinic.speechService.id, slotId: slots[i]!.id });
      appointmentIds.push(booked.id);
    }
    server = await startClinicServer({ ctx: systemContext(database.db), host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [fake.webhookSecret] });
  });
  afterAll(() => Promise.all([server?.close(), database?.close(), fake?.close()]));

  /** A fresh appointment's order (₹1,000). */
  const newOrder = () => createOrder(ctx, { appointmentId: appointmentIds[next++]! });
  const deliver = async (event: WebhookEvent) => {
    const { status, body } = await deliverWebhook(server.url, event, { secret: fake.webhookSecret });
    expect(status).toBe(200);
    return body.outcome as string;
  };
  const paymentRow = (id: number) =>
    database.db
      .selectFrom('payments as p')
      .innerJoin('appointments as a', 'a.id', 'p.appointment_id')
      .select(['p.state', 'p.paid_at', 'p.failure_reason', 'p.razorpay_payment_id', 'p.razorpay_order_id', 'a.payment_status'])
      .where('p.id', '=', id)
      .executeTakeFirstOrThrow();
  /** What the audit log says an event did to one of ours: its entity, patient and states before and after. */
  const auditOf = (action: string, entityId: number) =>
    database.db
      .selectFrom('audit_log')
      .select(['entity', 'patient_id', 'before', 'after'])
      .where('action', '=', action)
      .where('entity_id', '=', String(entityId))
      .execute();
  const patientOf = async (paymentId: number) =>
    (await database.db.selectFrom('payments').select('patient_id').where('id', '=', paymentId).executeTakeFirstOrThrow()).patient_id;
  const receiptsOf = (paymentId: number) => database.db.selectFrom('receipts').select('receipt_number').where('payment_id', '=', paymentId).execute();
  const storedEvent = (eventId: string) =>
    database.db.selectFrom('webhook_events').selectAll().where('provider', '=', 'razorpay').where('event_id', '=', eventId).executeTakeFirstOrThrow();

  it('records a payment delivered five times once, with one receipt', async () => {
    const order = await newOrder();
    const { captured, paymentId } = fake.payOrder(order.orderId);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await deliver(captured));
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await paymentRow(order.paymentId)).toMatchObject({ state: 'completed', razorpay_payment_id: paymentId, payment_status: 'paid' });
    expect(await receiptsOf(order.paymentId)).toHaveLength(1);
    expect((await storedEvent(captured.eventId)).outcome).toMatch(/^applied: PAY-\d{6} completed, receipt RCPT-\d{6}$/);
  });

  it('records one payment when the same event arrives five times at the same moment', async () => {
    const order = await newOrder();
    const { captured } = fake.payOrder(order.orderId);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => deliver(captured)));
    expect(outcomes.sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect((await paymentRow(order.paymentId)).state).toBe('completed');
    expect(await receiptsOf(order.paymentId)).toHaveLength(1);
    const audit = await database.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'payment.complete')
      .where('entity_id', '=', String(order.paymentId))
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('completes on order.paid arriving before payment.captured; the capture then changes nothing', async () => {
    const order = await newOrder();
    const { captured, orderPaid, paymentId } = fake.payOrder(order.orderId);
    expect(await deliver(orderPaid)).toBe('applied');
    expect(await deliver(captured)).toBe('no_change');
    const row = await paymentRow(order.paymentId);
    expect(row).toMatchObject({ state: 'completed', razorpay_payment_id: paymentId });
    // Paid when Razorpay says so, not when the webhook happened to arrive.
    expect(row.paid_at!.getTime()).toBe(JSON.parse(orderPaid.body).created_at * 1000);
    expect(await receiptsOf(order.paymentId)).toHaveLength(1);
  });

  it('keeps a captured payment completed when a failed attempt is reported late', async () => {
    const order = await newOrder();
    const { captured } = fake.payOrder(order.orderId);
    const lateFailure = fake.failAttempt(order.orderId);
    expect(await deliver(captured)).toBe('applied');
    expect(await deliver(lateFailure)).toBe('no_change');
    expect(await paymentRow(order.paymentId)).toMatchObject({ state: 'completed', failure_reason: null, payment_status: 'paid' });
  });

  it('marks a pending payment failed with the reason, and a later attempt that succeeds still completes it', async () => {
    const order = await newOrder();
    const failed = fake.failAttempt(order.orderId, 'Payment was unsuccessful as the UPI PIN entered was incorrect.');
    expect(await deliver(failed)).toBe('applied');
    expect(await paymentRow(order.paymentId)).toMatchObject({
      state: 'failed',
      failure_reason: 'Payment was unsuccessful as the UPI PIN entered was incorrect.',
      payment_status: 'pending',
    });
    const failedPaymentId = JSON.parse(failed.body).payload.payment.entity.id as string;
    expect(await auditOf('payment.fail', order.paymentId)).toEqual([
      {
        entity: 'payment',
        patient_id: await patientOf(order.paymentId),
        before: { state: 'pending' },
        after: { state: 'failed', razorpayPaymentId: failedPaymentId },
      },
    ]);
    expect(await deliver(fake.payOrder(order.orderId).captured)).toBe('applied');
    expect(await paymentRow(order.paymentId)).toMatchObject({ state: 'completed', payment_status: 'paid' });
  });

  it('completes a payment link from its three events landing at once, and learns the link’s order', async () => {
    const link = await createPaymentLink(ctx, { appointmentId: appointmentIds[next++]! });
    const { captured, orderPaid, linkPaid, paymentId } = fake.payLink(link.paymentLinkId);
    const outcomes = await Promise.all([captured, orderPaid, linkPaid].map(deliver));
    // payment.captured and order.paid name only Razorpay's own order behind the link: unknown to us until
    // payment_link.paid is applied, so they are unmatched if they win the race, no_change if they lose it.
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    const row = await paymentRow(link.paymentId);
    expect(row).toMatchObject({ state: 'completed', razorpay_payment_id: paymentId, payment_status: 'paid' });
    expect(row.razorpay_order_id).toBe(JSON.parse(linkPaid.body).payload.payment_link.entity.order_id);
    expect(await receiptsOf(link.paymentId)).toHaveLength(1);
    // The same signed capture under another X-Razorpay-Event-Id is the same event: nothing more happens.
    expect(await deliver({ ...captured, eventId: 'evt_CapturedAgain1' })).toBe('duplicate');
  });

  it('stores an event Roshni does not act on, acknowledges it and changes nothing', async () => {
    const before = await database.db.selectFrom('payments').select(['id', 'state']).orderBy('id').execute();
    const unknown = razorpayEvent('invoice.paid', { invoice: { entity: { id: 'inv_Fake0001', amount: 5000 } } });
    expect(await deliver(unknown)).toBe('ignored');
    expect(await storedEvent(unknown.eventId)).toMatchObject({ event_type: 'invoice.paid', outcome: 'ignored: not an event Roshni acts on' });
    expect(await database.db.selectFrom('payments').select(['id', 'state']).orderBy('id').execute()).toEqual(before);
  });

  it('keeps a payment that is not ours as unmatched, and flags one of a different amount for a person', async () => {
    const stranger = razorpayEvent('payment.captured', {
      payment: { entity: { id: 'pay_Dashboard001', amount: 50000, currency: 'INR', order_id: 'order_NotOurs0001', notes: [] } },
    });
    expect(await deliver(stranger)).toBe('unmatched');
    const order = await newOrder();
    const short = razorpayEvent('payment.captured', {
      payment: { entity: { id: 'pay_Short000001', amount: 100, currency: 'INR', order_id: order.orderId, notes: [] } },
    });
    expect(await deliver(short)).toBe('attention');
    expect((await storedEvent(short.eventId)).outcome).toBe(`attention: pay_Short000001 paid ₹1.00 for ${order.reference} of ₹1,000.00: not marked paid`);
    expect((await paymentRow(order.paymentId)).state).toBe('pending');
  });

  it('marks a Razorpay refund processed when Razorpay says so, and issues its credit note once', async () => {
    const order = await newOrder();
    const { captured, paymentId } = fake.payOrder(order.orderId);
    await deliver(captured);
    // As the refund domain records it: our row first (its reference is the idempotency key and
    // receipt), then Razorpay's refund; the webhook may come before Razorpay's refund id is stored.
    const refund = await database.db
      .insertInto('refunds')
      .values({ payment_id: order.paymentId, amount_paise: 40000, reason: 'Session cut short' })
      .returning(['id', 'reference'])
      .executeTakeFirstOrThrow();
    const { refundId } = await ctx.paymentGateway!.refund({
      paymentId,
      amountPaise: 40000,
      idempotencyKey: refund.reference,
      notes: { refund: refund.reference },
    });
    const processed = fake.refundProcessed(refundId);
    expect(await deliver(processed)).toBe('applied');
    expect(await deliver({ ...processed, eventId: 'evt_RefundAgain01' })).toBe('duplicate');
    const row = await database.db
      .selectFrom('refunds')
      .select(['state', 'razorpay_refund_id', 'processed_at'])
      .where('id', '=', refund.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'processed', razorpay_refund_id: refundId });
    const creditNotes = await database.db.selectFrom('receipts').select(['kind', 'amount_paise']).where('refund_id', '=', refund.id).execute();
    expect(creditNotes).toEqual([{ kind: 'credit_note', amount_paise: 40000 }]);
    const creditNote = (await database.db.selectFrom('receipts').select('receipt_number').where('refund_id', '=', refund.id).executeTakeFirstOrThrow())
      .receipt_number;
    expect(await auditOf('refund.processed', refund.id)).toEqual([
      {
        entity: 'refund',
        patient_id: await patientOf(order.paymentId),
        before: { state: 'pending' },
        after: { state: 'processed', razorpayRefundId: refundId, creditNote },
      },
    ]);
    expect((await paymentRow(order.paymentId)).payment_status).toBe('partially_paid');
    expect(
      await deliver(
        razorpayEvent('refund.processed', { refund: { entity: { id: 'rfnd_Elsewhere01', payment_id: 'pay_X', amount: 100, currency: 'INR', notes: [] } } }),
      ),
    ).toBe('unmatched');
  });

  it('keeps the payer’s email, phone and UPI id out of the stored events', async () => {
    const order = await newOrder();
    const { captured, orderPaid } = fake.payOrder(order.orderId);
    // Razorpay sends them: the payer paid by UPI from asha.rao@okhdfcbank, phone +91 98123 45678.
    for (const personal of ['asha.rao', '9812345678', 'okhdfcbank']) expect(captured.body).toContain(personal);
    expect(await deliver(captured)).toBe('applied');
    expect(await deliver(orderPaid)).toBe('no_change');
    const payloads = [(await storedEvent(captured.eventId)).payload, (await storedEvent(orderPaid.eventId)).payload];
    const stored = JSON.stringify(payloads);
    for (const personal of ['asha.rao', '9812345678', 'okhdfcbank']) expect(stored).not.toContain(personal);
    // What reconciliation needs stays: ids, amounts, the bank's reference.
    expect(stored).toContain('"rrn":"412345678901"');
  });
});
