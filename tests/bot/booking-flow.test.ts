import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { CHAT_FLOOD_LIMIT } from '../../src/bot/engine/rate-limit.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor } from './support.js';

// A patient books through the chat, the same engine every channel uses.
describe('booking by chat', () => {
  // Each test opens a clinic of its own, where three patients chat at 08:00 IST on 1 December 2026.
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock('2026-12-01T02:30:00Z'); // 08:00 IST

  beforeEach(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 3, days: 5 });
  });
  afterEach(() => database?.close());

  it('identifies a known patient by number, books speech therapy and offers UPI payment', async () => {
    const patient = clinic.patients[0]!;
    const chat = chatter(engineFor(ctx), 'term-1', { senderPhone: patient.phone! });
    await chat.write('hi');
    expect(chat.text()).toContain('Patient 001');
    await chat.press('Book an appointment');
    await chat.press('Speech therapy');
    await chat.press('Anyone');
    expect(chat.options().length).toBeGreaterThan(0);
    await chat.press(0); // the soonest day
    expect(chat.text()).toMatch(/Which time/);
    await chat.press(0);
    expect(chat.text()).toMatch(/Shall I book it\?/);
    await chat.press('Yes, book it');
    expect(chat.text()).toMatch(/Booked! Your appointment number is APT-\d+/);
    const rows = await database.db.selectFrom('appointments').selectAll().where('patient_id', '=', patient.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.booked_via).toBe('terminal_chat');
    await chat.press('Pay now');
    const image = chat.replies.find((r) => r.kind === 'image');
    expect(image && image.kind === 'image' && image.png.subarray(1, 4).toString()).toBe('PNG');
    expect(chat.text()).toContain('upi://pay');
  });

  it('a typed number picks an option, and unknown input re-offers the same options', async () => {
    const chat = chatter(engineFor(ctx), 'term-2', { senderPhone: clinic.patients[1]!.phone! });
    await chat.write('hi');
    await chat.write('1');
    expect(chat.text()).toMatch(/Which service/);
    await chat.write('banana');
    expect(chat.text()).toMatch(/did not understand/);
    expect(chat.options().length).toBeGreaterThan(1);
  });

  it('the slot taken while choosing: the patient gets fresh options', async () => {
    const chat = chatter(engineFor(ctx), 'term-3', { senderPhone: clinic.patients[2]!.phone! });
    await chat.write('menu');
    await chat.press('Book');
    await chat.press('Physio');
    await chat.press('Meera');
    await chat.press(1);
    await chat.press(0);
    // Someone at the desk takes it before "yes".
    const state = await database.db.selectFrom('bot_conversations').select('state').where('chat_id', '=', 'term-3').executeTakeFirstOrThrow();
    const slotId = (state.state as { data: { slotId: number } }).data.slotId;
    await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, slotId, serviceId: clinic.physioService.id });
    await chat.press('Yes');
    expect(chat.text()).toMatch(/just taken/);
    expect(chat.options().some((o) => o.value === `slot:${slotId}`)).toBe(false);
    await chat.press(0);
    await chat.press('Yes');
    expect(chat.text()).toMatch(/Booked!/);
  });

  it('speaks Hindi when asked, and remembers it', async () => {
    const chat = chatter(engineFor(ctx), 'term-4', { senderPhone: clinic.patients[1]!.phone! });
    await chat.write('hi');
    await chat.press('Language');
    await chat.press('हिन्दी');
    expect(chat.text()).toContain('मैं हिन्दी में लिखूँगा');
    await chat.press('अपॉइंटमेंट बुक करें');
    expect(chat.text()).toContain('कौन-सी सेवा?');
    expect(
      chat
        .options()
        .map((o) => o.label)
        .join(),
    ).toContain('स्पीच थेरेपी सत्र');
    const stored = await database.db.selectFrom('patients').select('preferred_language').where('id', '=', clinic.patients[1]!.id).executeTakeFirstOrThrow();
    expect(stored.preferred_language).toBe('hi');
  });

  it('a restart mid-flow loses nothing: a new engine continues the conversation', async () => {
    const chat = chatter(engineFor(ctx), 'term-5', { senderPhone: clinic.patients[1]!.phone! });
    await chat.write('menu');
    await chat.press('Language');
    await chat.press('English');
    await chat.press('Book');
    await chat.press('Speech');
    chat.switchEngine(engineFor(ctx));
    await chat.press('Anyone');
    expect(chat.text()).toMatch(/Which day/);
  });

  it('a conversation saved by an older version restarts politely', async () => {
    const before = chatter(engineFor(ctx), 'term-6', { senderPhone: clinic.patients[1]!.phone! });
    await before.write('menu');
    await before.press('Book');
    await before.press('Speech');
    await database.db.updateTable('bot_conversations').set({ state_version: 1 }).where('chat_id', '=', 'term-6').execute();
    const chat = chatter(engineFor(ctx), 'term-6', { senderPhone: clinic.patients[1]!.phone! });
    await chat.write('2');
    expect(chat.text()).toMatch(/updated, so let us start again/);
  });

  it('a flood gets one polite "slow down", then silence, and the chat answers again once it stops', async () => {
    const floodClock = fixedClock('2026-12-01T02:30:00Z');
    const chat = chatter(engineFor(ctx, { clock: floodClock, rateLimit: CHAT_FLOOD_LIMIT }), 'term-flood', { senderPhone: clinic.patients[0]!.phone! });
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      await chat.write('menu'); // 30 typed messages in 2 s
      answers.push(chat.text());
      floodClock.advance(66);
    }
    expect(answers.filter((a) => /very fast/.test(a))).toHaveLength(1);
    expect(answers.filter((a) => a === '').length).toBeGreaterThan(20);
    floodClock.advance(10_000);
    await chat.write('menu');
    expect(chat.text()).toMatch(/Book an appointment/);
  });
});
