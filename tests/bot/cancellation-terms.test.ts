import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor, linkedChat } from './support.js';

// A family cancelling by chat is told the late-cancellation terms before saying yes; what they are
// told is what the cancellation then charges, because both ask the domain's cancellationTerms().
// Changing the clinic's policy changes both together.

const TODAY = '2031-03-10';
const at = (days: number, time: string) => zonedInstant(addDays(TODAY, days), time, 'Asia/Kolkata');

describe('the terms a family is told before cancelling are the terms it is charged', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock(at(0, '08:00'));

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 3, days: 3 });
  });
  afterAll(() => database?.close());

  /** Patient `index` books `time` tomorrow (a place of their own), then, 20-22 hours before, opens Cancel on it by chat. */
  async function askToCancel(index: number, time: string) {
    clock.set(at(0, '08:00'));
    const patient = clinic.patients[index]!;
    const slot = (await slotsOn(ctx, clinic.speech.id, addDays(TODAY, 1))).find((s) => s.starts_at.getTime() === at(1, time).getTime())!;
    const booked = await bookAppointment(ctx, { patientId: patient.id, serviceId: clinic.speechService.id, slotId: slot.id });
    clock.set(at(0, '14:00'));
    const chat = chatter(engineFor(ctx), `family-${index}`);
    await linkedChat(database.db, { channel: 'terminal', chatId: `family-${index}`, patientId: patient.id });
    await chat.write('hi');
    await chat.pressValue('mine');
    await chat.pressValue(`appt:${booked.id}`);
    await chat.pressValue('cancel');
    return { asked: chat.text(), chat, appointmentId: booked.id };
  }
  const policy = (late_cancel_hours: number, late_cancel_fee_paise: number) =>
    database.db.updateTable('clinic_settings').set({ late_cancel_hours, late_cancel_fee_paise, policy_draws_package: false }).execute();
  const charged = (id: number) =>
    database.db.selectFrom('appointments').select(['late_cancellation', 'policy_fee_paise']).where('id', '=', id).executeTakeFirstOrThrow();

  it.each([
    {
      index: 0,
      time: '10:00',
      hours: 24,
      feePaise: 30_000,
      told: /less than 24 hours away, so the late-cancellation fee of ₹300\.00 applies/,
      charge: { late_cancellation: true, policy_fee_paise: 30_000 },
    },
    {
      index: 1,
      time: '11:00',
      hours: 24,
      feePaise: 45_000,
      told: /less than 24 hours away, so the late-cancellation fee of ₹450\.00 applies/,
      charge: { late_cancellation: true, policy_fee_paise: 45_000 },
    },
    {
      index: 2,
      time: '12:00',
      hours: 12,
      feePaise: 45_000,
      told: /^(?![\s\S]*less than)[\s\S]*Cancel \S+ on /,
      charge: { late_cancellation: false, policy_fee_paise: null },
    },
  ])('with $hours h and a fee of $feePaise paise', async ({ index, time, hours, feePaise, told, charge }) => {
    await policy(hours, feePaise);
    const { asked, chat, appointmentId } = await askToCancel(index, time);
    expect(asked).toMatch(told);
    await chat.pressValue('yes');
    expect(await charged(appointmentId)).toEqual(charge);
  });
});
