import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentLink } from '../../src/domain/billing/online-payments.js';
import type { DomainContext } from '../../src/domain/context.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { completeAppointment } from '../../src/domain/scheduling/attendance.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { fixedClock } from '../../src/infra/clock.js';
import { razorpayGateway } from '../../src/infra/gateways/razorpay.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';
import { staffEnvironments } from '../support/staff-sessions.js';

// A payment link left open for an erased patient could still be paid, by no one the clinic knows:
// the erasure cancels it at Razorpay first, and is refused when that cannot be done.
describe('erasing a patient with an open Razorpay payment link', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let ctx: DomainContext;
  let roshni: (argv: string[], withKeys?: boolean) => ReturnType<typeof runCli>;
  const patients: Array<{ id: number; number: string; link: { paymentLinkId: string; reference: string } }> = [];
  const clock = fixedClock('2027-03-01T00:00:00Z');

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    ctx = systemContext(database.db, clock);
    const clinic = await seedClinic(ctx, { patients: 2, days: 1 });
    await addStaffUser(ctx, { username: 'anita', fullName: 'Anita Rao', role: 'admin' });
    const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
    roshni = async (argv, withKeys = true) => runCli(argv, { ...(await signedIn('anita')), ...(withKeys ? fake.env() : {}) }, { clock });
    const slots = await slotsOn(ctx, clinic.speech.id, '2027-03-01');
    const booked = [];
    for (const [i, patient] of clinic.patients.entries()) {
      booked.push(await bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, slotId: slots[i]!.id }));
    }
    clock.set('2027-03-01T07:00:00Z');
    const gateway = { ...ctx, paymentGateway: razorpayGateway({ keyId: fake.keyId, keySecret: fake.keySecret, baseUrl: fake.url }) };
    for (const [i, appointment] of booked.entries()) {
      await completeAppointment(ctx, { appointmentId: appointment.id });
      const link = await createPaymentLink(gateway, { appointmentId: appointment.id });
      patients.push({ id: clinic.patients[i]!.id, number: clinic.patients[i]!.patient_number, link });
    }
  });
  afterAll(() => Promise.all([database?.close(), fake?.close()]));

  const state = async (patientId: number) => ({
    erased: (await database.db.selectFrom('patients').select('erased_at').where('id', '=', patientId).executeTakeFirstOrThrow()).erased_at !== null,
    payments: (await database.db.selectFrom('payments').select('state').where('patient_id', '=', patientId).execute()).map((p) => p.state),
  });

  it('cancels the link at Razorpay, then erases; without the keys, refuses and changes nothing', async () => {
    const [patient] = patients;
    const unconfigured = await roshni(['patient', 'erase', patient!.number, '--reason', 'Request by the parents', '--yes'], false);
    expect([unconfigured.code, unconfigured.stderr]).toEqual([
      2,
      `roshni: The patient has an open Razorpay payment link (${patient!.link.reference}): set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET so it can be cancelled at Razorpay before the erasure.\n`,
    ]);
    expect(await state(patient!.id)).toEqual({ erased: false, payments: ['pending'] });
    expect(fake.links.get(patient!.link.paymentLinkId)!.status).toBe('created');

    const erased = await roshni(['patient', 'erase', patient!.number, '--reason', 'Request by the parents', '--yes']);
    expect([erased.code, erased.stderr]).toEqual([0, '']);
    expect(erased.stdout).toMatch(/^Withdrawn: .*1 payment request\(s\)\.$/m);
    expect(fake.links.get(patient!.link.paymentLinkId)!.status).toBe('cancelled');
    expect(await state(patient!.id)).toEqual({ erased: true, payments: ['cancelled'] });
  });

  it('is refused when the link was paid a moment before (the payment will be recorded)', async () => {
    const patient = patients[1]!;
    fake.payLink(patient.link.paymentLinkId);
    const refused = await roshni(['patient', 'erase', patient.number, '--reason', 'Request by the parents', '--yes']);
    expect([refused.code, refused.stderr]).toEqual([
      4,
      `roshni: The payment link sent earlier (${patient.link.reference}) has just been paid; it shows here once Razorpay confirms it.\n`,
    ]);
    expect(await state(patient.id)).toEqual({ erased: false, payments: ['pending'] });
  });
});
