import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentLink } from '../../src/domain/billing/online-payments.js';
import { startUpiPayment } from '../../src/domain/billing/upi-payments.js';
import { withActor } from '../../src/domain/context.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { startClinicServer } from '../../src/http/clinic-server.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deliverWebhook, startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';
import { bookSoonest, chatter, engineFor } from './support.js';

// "Pay now" in a chat: a Razorpay payment link when Razorpay is configured (the real SDK against the
// fake API), paid through the webhook; a patient asks the billing core directly, for their own only.
describe('paying by chat', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock('2026-12-01T02:30:00Z');

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 2, days: 4 });
  });
  afterAll(() => Promise.all([database?.close(), fake?.close()]));

  const gateway = () => razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url });

  it('books, then "Pay now" sends a Razorpay link; the webhook marks the appointment paid', async () => {
    const patient = clinic.patients[0]!;
    const chat = chatter(engineFor(ctx, { paymentGateway: gateway() }), 'pay-1', { senderPhone: patient.phone! });
    await chat.write('hi');
    await bookSoonest(chat);
    await chat.press('Pay now');
    const link = chat.replies.find((r) => r.kind === 'link');
    expect(link && link.kind === 'link' && link.url).toMatch(/^https:\/\/rzp\.io\/i\//);
    expect(chat.text()).toMatch(/Pay ₹[\d,]+\.00 securely here/);
    const payment = await database.db.selectFrom('payments').selectAll().where('patient_id', '=', patient.id).executeTakeFirstOrThrow();
    expect(payment).toMatchObject({ method: 'razorpay', state: 'pending', processed_by_staff_id: null });
    expect(payment.razorpay_payment_link_id).toMatch(/^plink_/);
    // Asking again ("Pay dues") gives the same link, not a second one that could also be paid.
    await chat.press('Pay dues');
    const appointmentNumber = (
      await database.db.selectFrom('appointments').select('appointment_number').where('id', '=', payment.appointment_id!).executeTakeFirstOrThrow()
    ).appointment_number;
    await chat.press(appointmentNumber);
    const again = chat.replies.filter((r) => r.kind === 'link').at(-1);
    expect(again && again.kind === 'link' && again.url).toBe(link && link.kind === 'link' && link.url);
    expect(await database.db.selectFrom('payments').select('id').where('patient_id', '=', patient.id).execute()).toHaveLength(1);

    const server = await startClinicServer({ ctx: systemContext(database.db), host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [fake.webhookSecret] });
    try {
      const paid = fake.payLink(payment.razorpay_payment_link_id!);
      for (const event of [paid.captured, paid.orderPaid, paid.linkPaid]) {
        expect((await deliverWebhook(server.url, event, { secret: fake.webhookSecret })).status).toBe(200);
      }
    } finally {
      await server.close();
    }
    const appointment = await database.db
      .selectFrom('appointments')
      .select('payment_status')
      .where('id', '=', payment.appointment_id!)
      .executeTakeFirstOrThrow();
    expect(appointment.payment_status).toBe('paid');
  });

  it('Razorpay refusing the link: the patient is told kindly, and nothing is left pending', async () => {
    const patient = clinic.patients[1]!;
    const [slot] = await slotsOn(ctx, clinic.physio.id, addDays(clinicDate(clock.now(), ctx.timezone), 2));
    const booked = await bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.physioService.id, slotId: slot!.id });
    const chat = chatter(engineFor(ctx, { paymentGateway: gateway() }), 'pay-2', { senderPhone: patient.phone! });
    await chat.write('hi');
    await chat.press('Pay dues');
    fake.failNext(502, 'Gateway unavailable');
    await chat.press(booked.appointmentNumber);
    expect(chat.text()).toMatch(/could not be set up just now/);
    const pending = await database.db.selectFrom('payments').select('state').where('appointment_id', '=', booked.id).execute();
    expect(pending.every((p) => p.state === 'cancelled')).toBe(true);
  });

  it("a patient asking the billing core for another patient's appointment gets 'not found', and nothing is written", async () => {
    const [slot] = await slotsOn(ctx, clinic.speech.id, addDays(clinicDate(clock.now(), ctx.timezone), 3));
    const theirs = await bookAppointment(ctx, { patientId: clinic.patients[1]!.id, serviceId: clinic.speechService.id, slotId: slot!.id });
    const asOther = withActor({ ...ctx, paymentGateway: gateway() }, { kind: 'patient', patientId: clinic.patients[0]!.id });
    await expect(startUpiPayment(asOther, { appointmentId: theirs.id })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(createPaymentLink(asOther, { appointmentId: theirs.id })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(createPaymentLink(asOther, { paymentId: 1 })).rejects.toMatchObject({ kind: 'forbidden' });
    expect(await database.db.selectFrom('payments').select('id').where('appointment_id', '=', theirs.id).execute()).toEqual([]);
  });
});

describe('a refusal inside a chat turn', () => {
  it('is audited as denied, and the turn goes on', async () => {
    const database = await createTestDatabase();
    try {
      const { guarded } = await import('../../src/bot/flows/common.js');
      const { ForbiddenError } = await import('../../src/domain/errors.js');
      await database.db.transaction().execute(async (db) => {
        const turn = { ctx: { ...systemContext(db), actor: { kind: 'patient' as const, patientId: 1 } }, conversation: { channel: 'telegram' } } as never;
        await expect(guarded(turn, async () => Promise.reject(new ForbiddenError('No.', { action: 'payment.record' })))).rejects.toMatchObject({
          kind: 'forbidden',
        });
      });
      const rows = await database.db.selectFrom('audit_log').select(['action', 'outcome', 'actor_kind', 'meta']).execute();
      expect(rows).toEqual([{ action: 'payment.record', outcome: 'denied', actor_kind: 'patient', meta: { channel: 'telegram' } }]);
    } finally {
      await database.close();
    }
  });
});
