import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor } from './support.js';

describe('chat isolation, registration, cancel and stop', () => {
  // Each test opens a clinic of its own, where two patients are booked on 3 December 2026.
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let othersNumber: string;
  let ownId: number;

  beforeEach(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, fixedClock('2026-12-01T02:30:00Z'));
    clinic = await seedClinic(ctx, { patients: 2, days: 4 });
    const slots = await slotsOn(ctx, clinic.speech.id, '2026-12-03');
    othersNumber = (await bookAppointment(ctx, { patientId: clinic.patients[1]!.id, slotId: slots[0]!.id, serviceId: clinic.speechService.id }))
      .appointmentNumber;
    ownId = (await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, slotId: slots[1]!.id, serviceId: clinic.speechService.id })).id;
  });
  afterEach(() => database?.close());

  /** Sunita, whose number the clinic did not have, registers herself and her son Aarav on chat new-1. */
  async function sunitaRegistersAarav() {
    const chat = chatter(engineFor(ctx), 'new-1', { senderPhone: '+919876543210' });
    await chat.write('hi');
    await chat.press('I agree');
    await chat.press('For my child');
    await chat.write('Sunita Verma');
    await chat.write('Aarav Verma');
    await chat.write('14-03-2019');
    expect(chat.text()).toMatch(/Welcome, Sunita Verma/);
  }

  it("a patient typing another patient's appointment number gets not found", async () => {
    const chat = chatter(engineFor(ctx), 'iso-1', { senderPhone: clinic.patients[0]!.phone! });
    await chat.write('hi');
    await chat.press('My appointments');
    await chat.write(othersNumber);
    expect(chat.text()).toContain(`could not find appointment ${othersNumber}`);
    // A forged button with another patient's id is refused as stale, never acted on.
    await chat.pressValue('appt:1');
    expect(chat.text()).toMatch(/earlier message/);
  });

  it('cancels its own appointment, flagged late inside 24 hours', async () => {
    const chat = chatter(engineFor(ctx), 'iso-1', { senderPhone: clinic.patients[0]!.phone! });
    await chat.write('menu');
    await chat.press('My appointments');
    await chat.pressValue(`appt:${ownId}`);
    await chat.press('Cancel it');
    expect(chat.text()).toMatch(/Cancel APT-/);
    await chat.press('Yes, cancel it');
    expect(chat.text()).toMatch(/is cancelled/);
    const row = await database.db.selectFrom('appointments').select(['status', 'cancelled_by']).where('id', '=', ownId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'cancelled', cancelled_by: 'patient' });
  });

  it('an unknown number registers a guardian and child with consent, then books for the child', async () => {
    const chat = chatter(engineFor(ctx), 'new-1', { senderPhone: '+919876543210' });
    await chat.write('hi');
    expect(chat.text()).toMatch(/do not have \+919876543210/);
    await chat.press('I agree');
    await chat.press('For my child');
    await chat.write('Sunita Verma');
    await chat.write('Aarav Verma');
    await chat.write('31-02-2019');
    expect(chat.text()).toMatch(/day-month-year/);
    await chat.write('14-03-2019');
    expect(chat.text()).toMatch(/Welcome, Sunita Verma/);
    const guardian = await database.db.selectFrom('guardians').selectAll().where('phone', '=', '+919876543210').executeTakeFirstOrThrow();
    const consents = await database.db.selectFrom('consents').select(['purpose', 'channel']).where('guardian_id', '=', guardian.id).execute();
    expect(consents.map((c) => c.purpose).sort()).toEqual(['data_processing', 'messaging']);
    await chat.press('Book');
    await chat.press('Not sure');
    expect(chat.text()).toMatch(/Which therapist/);
  });

  it('asks again for a name with escape sequences or direction overrides, and registers the name typed next', async () => {
    const chat = chatter(engineFor(ctx), 'new-2', { senderPhone: '+919876500011' });
    await chat.write('hi');
    await chat.press('I agree');
    await chat.press('For my child');
    await chat.write('Sunita\u001b]52;c;Y3VybA==\u0007\u001b[2J Verma');
    expect(chat.text()).not.toMatch(/Something went wrong/);
    await chat.write('Sunita Verma');
    await chat.write('Aarav\u202E amreV');
    await chat.write('Aarav Verma');
    await chat.write('14-03-2019');
    expect(chat.text()).toMatch(/Welcome, Sunita Verma/);
    const names = await database.db.selectFrom('patients').select('full_name').where('full_name', 'like', 'Aarav%').execute();
    expect(names).toEqual([{ full_name: 'Aarav Verma' }]);
  });

  it('declining consent saves nothing', async () => {
    const chat = chatter(engineFor(ctx), 'new-2', { senderPhone: '+919876500000' });
    await chat.write('hi');
    await chat.press('No, thanks');
    expect(chat.text()).toMatch(/nothing was saved/);
    expect(await database.db.selectFrom('guardians').select('id').where('phone', '=', '+919876500000').executeTakeFirst()).toBeUndefined();
  });

  it('stop opts out (recorded), start opts back in', async () => {
    await sunitaRegistersAarav();
    const chat = chatter(engineFor(ctx), 'new-1', { senderPhone: '+919876543210' });
    await chat.write('stop');
    expect(chat.text()).toMatch(/no longer get reminders/);
    const guardian = await database.db.selectFrom('guardians').selectAll().where('phone', '=', '+919876543210').executeTakeFirstOrThrow();
    expect(guardian.reminders_opted_out_at).not.toBeNull();
    await chat.write('start');
    const again = await database.db.selectFrom('guardians').selectAll().where('id', '=', guardian.id).executeTakeFirstOrThrow();
    expect(again.reminders_opted_out_at).toBeNull();
  });

  it('talk to the clinic puts messages in the inbox', async () => {
    await sunitaRegistersAarav();
    const chat = chatter(engineFor(ctx), 'new-1', { senderPhone: '+919876543210' });
    await chat.write('menu');
    await chat.press('Talk to the clinic');
    await chat.write('Can Aarav come at 5 pm?');
    expect(chat.text()).toMatch(/Sent to the clinic/);
    const inbox = await database.db.selectFrom('inbox_messages').select(['body', 'direction']).execute();
    expect(inbox).toEqual([{ body: 'Can Aarav come at 5 pm?', direction: 'in' }]);
  });
});
