import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizePhone, platformPhone } from '../../src/domain/people/phone.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor } from './support.js';

// Only the platform's word identifies a chat: WhatsApp's sender, Telegram's shared contact of the
// sender's own. A typed number links no one outside `roshni chat`, where the desk types it.
describe('who a chat is', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let familyPhone: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, fixedClock('2026-12-01T02:30:00Z'));
    const clinic = await seedClinic(ctx, { patients: 1, days: 1 });
    familyPhone = clinic.patients[0]!.phone!;
  });
  afterEach(() => database?.close());

  const linkedChats = () =>
    database.db
      .selectFrom('bot_conversations')
      .select(['chat_id', 'patient_id', 'guardian_id'])
      .where((eb) => eb.or([eb('patient_id', 'is not', null), eb('guardian_id', 'is not', null)]))
      .execute();

  it('a WhatsApp sender with no usable number of their own is never linked by a number they type', async () => {
    const stranger = chatter(engineFor(ctx), 'unknown@c.us', { channel: 'whatsapp' });
    await stranger.write('hi');
    expect(stranger.text()).toMatch(/could not read a phone number from your chat account/);
    await stranger.write(familyPhone);
    expect(stranger.text()).toMatch(/could not read a phone number/);
    expect(stranger.text()).not.toMatch(/Welcome/);
    await stranger.write(familyPhone.replace('+91', ''));
    expect(await linkedChats()).toEqual([]);
    const chats = await database.db.selectFrom('bot_conversations').select(['patient_id', 'guardian_id']).execute();
    expect(chats.every((c) => c.patient_id === null && c.guardian_id === null)).toBe(true);
  });

  it('a WhatsApp sender from a number libphonenumber does not know (+882) is known by that number, not asked to type one', async () => {
    const chat = chatter(engineFor(ctx), '88212345678@c.us', { channel: 'whatsapp', senderPhone: '+88212345678' });
    await chat.write('hi');
    expect(chat.text()).toMatch(/do not have \+88212345678/);
    await chat.press('I agree');
    await chat.press('For me');
    await chat.write('Lena Fischer');
    expect(chat.text()).toMatch(/Welcome, Lena Fischer/);
    expect(await database.db.selectFrom('patients').select('phone').where('full_name', '=', 'Lena Fischer').executeTakeFirstOrThrow()).toEqual({
      phone: '+88212345678',
    });
  });

  it("Telegram's numbers are international: 6591234567 is Singapore's, not an Indian family's +91 65912 34567", async () => {
    await database.db.updateTable('patients').set({ phone: '+916591234567' }).where('phone', '=', familyPhone).execute();
    const engine = engineFor(ctx);
    const chat = chatter(engine, 'tg-sg', { channel: 'telegram' });
    await chat.write('hi');
    expect(chat.replies.some((r) => r.kind === 'contact_request')).toBe(true);
    const replies = await engine.handle({ channel: 'telegram', chatId: 'tg-sg', input: { kind: 'contact', phone: '6591234567' } });
    const text = replies.map((r) => ('text' in r ? r.text : '')).join('\n');
    expect(text).toMatch(/do not have \+6591234567/);
    expect(await linkedChats()).toEqual([]);
  });

  it('the desk still types a number in roshni chat', async () => {
    const desk = chatter(engineFor(ctx), 'terminal:1', { channel: 'terminal' });
    await desk.write('hi');
    expect(desk.text()).toMatch(/type your mobile number/);
    await desk.write(familyPhone.replace('+91', ''));
    expect(desk.text()).toMatch(/You are conne/);
  });

  it('reads numbers as people and platforms write them', () => {
    expect(normalizePhone('98765 43210')).toBe('+919876543210');
    expect(normalizePhone('+91 98765 4321')).toBeNull(); // an Indian typo is still caught
    expect(normalizePhone('+882 1234 5678')).toBe('+88212345678');
    expect(platformPhone('6591234567')).toBe('+6591234567');
    expect(platformPhone('919876543210')).toBe('+919876543210');
    expect(platformPhone('98765 43210')).toBeNull();
  });
});
