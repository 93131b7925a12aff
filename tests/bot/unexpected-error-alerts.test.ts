import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { MERGE_WINDOW_MS } from '../../src/domain/notifications/unexpected-error-alerts.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { fixedClock } from '../../src/infra/clock.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { linkedChat } from './support.js';

// "Sorry, something went wrong. The clinic has been told." is true: the family's document cannot be
// stored (the disk fails), the family gets the apology, and the admins get an alert. A bad evening
// is one alert per kind of error in ten minutes, counting them, not one per family.
describe('the alert behind "the clinic has been told"', () => {
  let database: TestDatabase;
  const clock = fixedClock('2026-12-01T13:00:00Z'); // 18:30 at the clinic
  const pdf = () => new Uint8Array(Buffer.from('%PDF-1.4\n% a school report\n%%EOF\n'));
  const brokenStore = { maxBytes: 1024 * 1024, put: async () => Promise.reject(new Error('disk on fire')), get: async () => null, delete: async () => {} };

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy' }).execute();
    await database.db
      .insertInto('staff_users')
      .values([
        { username: 'boss', full_name: 'Clinic Boss', role: 'admin' },
        { username: 'desk', full_name: 'Front Desk', role: 'receptionist' },
      ])
      .execute();
  });
  afterAll(() => database?.close());

  const alerts = () => database.db.selectFrom('notifications').select(['id', 'payload', 'state']).where('kind', '=', 'admin_alert').orderBy('id').execute();

  it('merges errors of one kind within 10 minutes into one alert, counted; a later one writes a new alert', async () => {
    const ctx = systemContext(database.db, clock);
    const engine = new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: brokenStore });
    const family = async (n: number) => {
      const patient = await addPatient(ctx, { fullName: `Family ${n} Child`, phone: `+91983339${String(n).padStart(4, '0')}` });
      await linkedChat(database.db, { channel: n % 2 ? 'telegram' : 'whatsapp', chatId: `family-${n}`, patientId: patient.id });
      const replies = await engine.handle({
        channel: n % 2 ? 'telegram' : 'whatsapp',
        chatId: `family-${n}`,
        input: { kind: 'document', bytes: pdf(), name: 'report.pdf' },
      });
      expect(replies.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/something went wrong\. The clinic has been told/);
    };

    await family(1);
    expect(await alerts()).toHaveLength(1);
    clock.advance(4 * 60_000);
    await family(2);
    const [merged, ...more] = await alerts();
    expect(more).toHaveLength(0);
    expect(merged!.payload).toMatchObject({
      about: 'bot_error',
      errorKind: 'unexpected:Error',
      channels: ['telegram', 'whatsapp'],
      count: 2,
      firstSeenAt: '2026-12-01T13:00:00.000Z',
      lastSeenAt: '2026-12-01T13:04:00.000Z',
      text: expect.stringContaining('2 times between 18:30 and 18:34 on 2026-12-01'),
    });
    // Kind, channel, count and times only: not the family, their file, or the error's own words.
    expect(JSON.stringify(merged!.payload)).not.toMatch(/Family|983339|report\.pdf|disk on fire/);

    clock.set(new Date(Date.parse('2026-12-01T13:00:00Z') + MERGE_WINDOW_MS));
    await family(3);
    const rows = await alerts();
    expect(rows).toHaveLength(2);
    expect(rows[1]!.payload).toMatchObject({ count: 1, firstSeenAt: '2026-12-01T13:10:00.000Z', channels: ['telegram'] });
  });

  it('an alert already sent keeps the text that went out, and still counts what came after', async () => {
    const rows = await alerts();
    const sent = rows.at(-1)!;
    await database.db.updateTable('notifications').set({ state: 'sent', sent_at: clock.now() }).where('id', '=', sent.id).execute();
    const ctx = systemContext(database.db, clock);
    clock.advance(60_000);
    const patient = await addPatient(ctx, { fullName: 'Family 4 Child', phone: '+919833390004' });
    await linkedChat(database.db, { channel: 'telegram', chatId: 'family-4', patientId: patient.id });
    const engine = new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: brokenStore });
    await engine.handle({ channel: 'telegram', chatId: 'family-4', input: { kind: 'document', bytes: pdf(), name: 'report.pdf' } });
    const after = (await alerts()).find((row) => row.id === sent.id)!;
    expect(after.payload).toMatchObject({ count: 2, lastSeenAt: '2026-12-01T13:11:00.000Z', text: (sent.payload as { text: string }).text });
    expect(await alerts()).toHaveLength(2);
  });
});
