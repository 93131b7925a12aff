import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { createTelegramBot } from '../../src/bot/channels/telegram.js';
import { fixedClock } from '../../src/infra/clock.js';
import { OUTBOUND_TIMEOUT_MS } from '../../src/infra/outbound.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFaultyTelegram, type FaultyTelegram } from '../support/faulty-telegram.js';

// A reply the Bot API takes and never answers must not hold the chat's turn for grammY's default
// 500 s: it gives up at the outbound deadline, and the chat's next message is answered.
describe('a Telegram reply that hangs', () => {
  let database: TestDatabase;
  let telegram: FaultyTelegram;

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedClinic(systemContext(database.db, fixedClock('2026-12-01T02:30:00Z')), { patients: 1, days: 1 });
    telegram = await startFaultyTelegram();
  });
  afterAll(async () => {
    await telegram?.close();
    await database?.close();
  });

  it('gives up at the outbound deadline, and the next message of the chat is answered', async () => {
    const ctx = systemContext(database.db, fixedClock('2026-12-01T02:30:00Z'));
    const bot = createTelegramBot(new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone }), {
      token: telegram.token,
      apiRoot: telegram.apiRoot,
    });
    await bot.init();
    const update = (id: number) => ({
      update_id: id,
      message: {
        message_id: id,
        date: 0,
        chat: { id: 901, type: 'private' as const, first_name: 'Asha' },
        from: { id: 901, is_bot: false, first_name: 'Asha' },
        text: '/start',
      },
    });
    await telegram.set('hang', ['sendMessage']);
    const startedAt = performance.now();
    await expect(bot.handleUpdate(update(1))).rejects.toThrow();
    const heldMs = performance.now() - startedAt;
    expect(heldMs).toBeGreaterThanOrEqual(OUTBOUND_TIMEOUT_MS - 100);
    expect(heldMs).toBeLessThan(OUTBOUND_TIMEOUT_MS + 5_000);

    await telegram.set('up');
    await bot.handleUpdate(update(2));
    expect(telegram.fake.callsOf('sendMessage').some((c) => c.params.chat_id === 901)).toBe(true);
  }, 30_000);
});
