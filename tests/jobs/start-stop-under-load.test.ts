import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRoshni, stopRoshni } from '../support/running-start.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { waitFor } from '../support/wait.js';

// The clinic's supervisor stops `roshni start` on a busy evening, fifty families' messages in hand
// and Telegram slow to take each reply. The stop finishes what it took and tells Telegram only what
// was handled; no family hears "something went wrong"; the next start answers whatever was left,
// and nobody is answered twice.

const FAMILIES = 50;

describe('roshni start stopped under load', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let home: string;

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    await seedClinic(systemContext(database.db), { patients: 1, days: 1 });
    home = mkdtempSync(join(tmpdir(), 'roshni-stop-under-load-'));
  });
  afterAll(async () => {
    await Promise.all([telegram?.close(), database?.close()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function start() {
    return startRoshni({
      DATABASE_URL: database.url,
      ROSHNI_HOME: home,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    });
  }

  const greetings = () => telegram.callsOf('sendMessage').filter((c) => /Namaste! This is Sunrise Child Therapy/.test(String(c.params.text)));
  const greeted = () => new Set(greetings().map((c) => Number(c.params.chat_id)));

  it('SIGTERM with 50 updates in flight: exit 0 within 10 s, no error to anyone, each answered exactly once across a restart', async () => {
    telegram.delay('sendMessage', 400);
    const write = (chatId: number) =>
      telegram.pushUpdate({
        message: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'Neha' }, text: '/start' },
      });
    for (let i = 0; i < FAMILIES - 10; i++) write(9100 + i);

    const first = start();
    await waitFor(() => telegram.callsOf('sendMessage').length > 0, 30_000, 'the first reply');
    for (let i = FAMILIES - 10; i < FAMILIES; i++) write(9100 + i); // more come as the stop begins
    const stopped = await stopRoshni(first);
    expect(stopped.code, first.stderr()).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    const answeredBeforeRestart = greeted().size;

    telegram.delay('sendMessage', 0);
    const second = start();
    await second.running();
    try {
      await waitFor(() => greeted().size === FAMILIES, 30_000, 'every family answered');
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // room for any answer twice
      await waitFor(() => telegram.unconfirmed().length === 0, 5_000, 'Telegram told every update was handled');
    } finally {
      expect((await stopRoshni(second)).code, second.stderr()).toBe(0);
    }

    const texts = telegram.callsOf('sendMessage').map((c) => String(c.params.text));
    expect(texts.filter((t) => /something went wrong/i.test(t))).toEqual([]);
    const perChat = new Map<number, number>();
    for (const call of greetings()) perChat.set(Number(call.params.chat_id), (perChat.get(Number(call.params.chat_id)) ?? 0) + 1);
    expect([...perChat.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(perChat.size).toBe(FAMILIES);
    console.info(`[stop-under-load] stop took ${Math.round(stopped.ms)} ms; ${answeredBeforeRestart} of ${FAMILIES} answered before the restart`);
  }, 90_000);
});
