import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../bench/support/bot-load-scenario.js';
import { openBenchPool } from '../../bench/support/database.js';
import { chatIdOf, seedBotUsers, slotsNeededFor } from '../../bench/support/seed-bot-users.js';
import { seedClinic, TIMEZONE } from '../../bench/support/seed-clinic.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A few seconds of the bot-load benchmark (npm run bench -- bot-load) with three guardians: the built
// `roshni start` answers every tap of guardians who follow its buttons, and the figures are gathered.
describe('the bot-load benchmark, briefly', () => {
  let database: TestDatabase;
  const users = 3;

  beforeAll(async () => {
    database = await createTestDatabase();
    const bench = openBenchPool(database.url, 2);
    try {
      // `roshni start` keeps the process's own clock, whatever it is: the slots start on its tomorrow.
      const now = new Date();
      const clinic = await seedClinic(bench.db, { therapists: 2, slotsNeeded: slotsNeededFor(users), now, firstDay: addDays(clinicDate(now, TIMEZONE), 1) });
      await seedBotUsers(bench.pool, clinic, users);
    } finally {
      await bench.close();
    }
  });
  afterAll(() => database?.close());

  it('drives the real roshni start: every tap answered, buttons followed, the process measured', async () => {
    const chatIds = Array.from({ length: users }, (_, user) => chatIdOf(user));
    const figures = await runScenario({ databaseUrl: database.url, chatIds, seconds: 5, log: () => {} });
    const { tally } = figures;
    expect(tally.taps).toBeGreaterThan(users);
    expect(tally.presses).toBeGreaterThan(0);
    expect(tally.answeredTaps).toBe(tally.taps);
    expect(tally.latencies).toHaveLength(tally.taps);
    expect({ stuck: tally.stuckChats.size, errors: tally.errorReplies, unanswered: tally.unanswered }).toEqual({ stuck: 0, errors: 0, unanswered: 0 });
    expect(figures.peakDbConnections).toBeGreaterThan(0);
    expect(figures.rssPeakMb).toBeGreaterThan(0);
    const linked = await database.db
      .selectFrom('bot_conversations')
      .select(['guardian_id', 'last_message_at'])
      .where('chat_id', 'in', chatIds.map(String))
      .execute();
    expect(linked.every((c) => c.guardian_id !== null && c.last_message_at !== null)).toBe(true);
  }, 40_000);
});
