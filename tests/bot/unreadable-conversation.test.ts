import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATE_VERSION } from '../../src/domain/messaging/conversations.js';
import { fixedClock } from '../../src/infra/clock.js';
import type { LogLevel } from '../../src/infra/log.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { bookSoonest, chatter, engineFor, linkedChat } from './support.js';

// A conversation stored by an older release (a flow's data changed shape, a step renamed) or a
// corrupt row: the family hears a friendly line in their language and gets the menu; nothing of the
// stale question is acted on, and the log says which flow and step, never who.
describe('a conversation whose stored data no longer parses', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let logged: Array<{ event: string; fields: Record<string, unknown>; level: LogLevel | undefined }>;
  const clock = fixedClock('2026-12-01T02:30:00Z'); // 08:00 IST

  beforeEach(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 2, days: 5 });
    logged = [];
  });
  afterEach(() => database?.close());

  const engine = () => engineFor(ctx, { log: (event, fields, level) => logged.push({ event, fields, level }) });

  async function storeState(chatId: string, state: unknown): Promise<void> {
    await database.db
      .updateTable('bot_conversations')
      .set({ state: JSON.stringify(state), state_version: STATE_VERSION })
      .where('chat_id', '=', chatId)
      .execute();
  }

  it('restarts politely at the menu, books nothing from the stale question, and a booking then goes through', async () => {
    const patient = clinic.patients[0]!;
    await linkedChat(database.db, { channel: 'terminal', chatId: 'term-odd', patientId: patient.id });
    // "Shall I book it?" as an older release stored it: a slot id of another shape, no service.
    await storeState('term-odd', { step: 'book.confirm', data: { slotId: 'slot-12', mode: 'book' }, options: [{ value: 'yes', label: 'Yes, book it' }] });
    const chat = chatter(engine(), 'term-odd');

    await chat.pressValue('yes');

    expect(chat.text()).toMatch(/^Sorry, I lost track of where we were\. Let us start again\./);
    expect(chat.options().map((o) => o.value)).toEqual(['book', 'mine', 'pay', 'waitlist', 'docs', 'talk', 'language']);
    expect(await database.db.selectFrom('appointments').select('id').execute()).toEqual([]);
    const stored = await database.db
      .selectFrom('bot_conversations')
      .select(['state', 'patient_id'])
      .where('chat_id', '=', 'term-odd')
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ patient_id: patient.id, state: { step: 'menu.choose', data: {} } });
    expect(logged).toEqual([
      {
        event: 'bot.conversation_unreadable',
        level: 'warn',
        fields: expect.objectContaining({ channel: 'terminal', flow: 'book', step: 'confirm', issues: expect.arrayContaining(['slotId:invalid_type']) }),
      },
    ]);
    expect(JSON.stringify(logged)).not.toMatch(new RegExp(`${patient.full_name}|${patient.phone!.slice(3)}|slot-12`));

    // From the menu the family books as ever: service, therapist, day, time, yes.
    await bookSoonest(chat);
    expect(chat.text()).toMatch(/Booked! Your appointment number is APT-\d+/);
    expect(await database.db.selectFrom('appointments').select('patient_id').execute()).toEqual([{ patient_id: patient.id }]);
    expect(logged).toHaveLength(1);
  });

  it('a step no flow has any more: the line and the menu in Hindi', async () => {
    await linkedChat(database.db, { channel: 'whatsapp', chatId: '919810000002@c.us', patientId: clinic.patients[1]!.id, language: 'hi' });
    await storeState('919810000002@c.us', { step: 'remind.actions', data: {}, options: [{ value: 'x', label: 'x' }] });
    const chat = chatter(engine(), '919810000002@c.us', { channel: 'whatsapp' });

    await chat.write('1');

    expect(chat.text()).toMatch(/^क्षमा करें, हम कहाँ थे यह मुझसे छूट गया।/);
    expect(chat.options().map((o) => o.label)).toContain('अपॉइंटमेंट बुक करें');
    expect(logged).toEqual([{ event: 'bot.conversation_unreadable', level: 'warn', fields: expect.objectContaining({ issues: ['unknown_step'] }) }]);
    expect(logged[0]!.fields).not.toHaveProperty('step');
  });

  it('before identification, the person is asked again who they are', async () => {
    const chat = chatter(engine(), 'term-new');
    await chat.write('hi');
    expect(chat.text()).toMatch(/type your mobile number/);
    // Registration's name step without the number it was given.
    await storeState('term-new', { step: 'identify.name', data: { for: 'self' }, options: [] });

    await chat.write('Asha Verma');

    expect(chat.text()).toMatch(/lost track of where we were[\s\S]*Namaste! This is Sunrise Child Therapy[\s\S]*type your mobile number/);
    expect(await database.db.selectFrom('patients').select('id').where('full_name', '=', 'Asha Verma').execute()).toEqual([]);
  });
});
