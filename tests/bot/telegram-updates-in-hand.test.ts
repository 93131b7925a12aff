import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRoshni, stopRoshni } from '../support/running-start.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { gate } from '../support/faults.js';
import { waitFor } from '../support/wait.js';
import { linkedChat } from './support.js';

// A mother sends her child's prescription on a slow line while two hundred other families write to
// the clinic's bot. `roshni start` keeps her update in the database (updates_in_hand) and lets
// Telegram move on: the others are answered and polling waits for new updates again, instead of
// being handed the ones it took over and over. Stopped (SIGTERM) or killed while her document is
// still coming, the next start answers her exactly once, and nobody hears "something went wrong".

const PRESCRIPTION = new Uint8Array(Buffer.from('%PDF-1.4\n% prescription\n%%EOF\n'));
const OTHERS = 200;
const FILED = expect.stringMatching(/received your document/);
const MENU = expect.stringMatching(/What would you like to do/);

interface Clinic {
  database: TestDatabase;
  telegram: FakeTelegram;
  home: string;
  close(): Promise<void>;
}

/** A clinic of its own for each test: database, Bot API and ROSHNI_HOME; chats 7001 and 7002 linked to patients. */
async function openClinic(): Promise<Clinic> {
  const [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
  const clinic = await seedClinic(systemContext(database.db), { patients: 2, days: 1 });
  for (const [i, chatId] of ['7001', '7002'].entries()) await linkedChat(database.db, { channel: 'telegram', chatId, patientId: clinic.patients[i]!.id });
  const home = mkdtempSync(join(tmpdir(), 'roshni-updates-in-hand-'));
  return {
    database,
    telegram,
    home,
    async close() {
      await Promise.all([telegram.close(), database.close()]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function start(clinic: Clinic) {
  return startRoshni({
    DATABASE_URL: clinic.database.url,
    ROSHNI_HOME: clinic.home,
    TELEGRAM_BOT_TOKEN: clinic.telegram.token,
    TELEGRAM_API_ROOT: clinic.telegram.apiRoot,
  });
}

const message = (chatId: number, body: Record<string, unknown>) => ({
  message: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'Asha' }, ...body },
});
const prescription = (fileId: string) => ({
  document: { file_id: fileId, file_unique_id: fileId, file_name: 'prescription.pdf', file_size: PRESCRIPTION.length },
});

const repliesTo = (telegram: FakeTelegram, chatId: number) =>
  telegram
    .callsOf('sendMessage')
    .filter((c) => Number(c.params.chat_id) === chatId)
    .map((c) => String(c.params.text));
const greeted = (telegram: FakeTelegram) => telegram.callsOf('sendMessage').filter((c) => /Namaste! This is Sunrise Child Therapy/.test(String(c.params.text)));
const inHand = async (database: TestDatabase) =>
  (await database.db.selectFrom('updates_in_hand').select('update_id').orderBy('update_id').execute()).map((r) => r.update_id);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Telegram updates in hand', () => {
  it('one slow chat holds up no other: its update is kept and Telegram moves past it; a stop leaves it, the next start answers it once', async () => {
    const clinic = await openClinic();
    const { telegram, database } = clinic;
    const line = gate();
    let first: ReturnType<typeof start> | undefined;
    let second: ReturnType<typeof start> | undefined;
    try {
      telegram.addFile('rx-slow', PRESCRIPTION);
      telegram.holdDownload('rx-slow', line.until);
      first = start(clinic);
      await first.running();
      const slow = telegram.pushUpdate(message(7001, prescription('rx-slow')));
      for (let i = 0; i < OTHERS; i++) telegram.pushUpdate(message(9200 + i, { text: '/start' }));

      // Every other family is answered while her document is still coming (two getUpdates' worth past hers).
      await waitFor(() => new Set(greeted(telegram).map((c) => c.params.chat_id)).size === OTHERS, 90_000, 'the other families answered');
      expect(repliesTo(telegram, 7001)).toEqual([]);
      // Hers is in the database, Telegram was told to let go of it, and polling waits for new updates.
      // (On a loaded machine an ordinary update may pass its second too and be kept a while: once answered, it goes.)
      await waitFor(async () => (await inHand(database)).join() === String(slow), 10_000, 'her update kept, and only hers');
      await waitFor(() => (telegram.lastPoll()?.offset ?? 0) > slow && (telegram.lastPoll()?.timeout ?? 0) > 0, 10_000, 'a long poll past her update');
      expect(telegram.unconfirmed()).not.toContain(slow);

      // Stopped while it is still in hand: within the budget, no word to her, and it stays for the next start.
      const stopped = await stopRoshni(first);
      expect(stopped.code, first.stderr()).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      expect(repliesTo(telegram, 7001)).toEqual([]);
      expect(await inHand(database)).toEqual([slow]);

      line.open();
      second = start(clinic);
      await second.running();
      await waitFor(() => repliesTo(telegram, 7001).length >= 2, 30_000, 'her answer after the restart');
      await pause(1_500); // room for an answer twice
      expect(repliesTo(telegram, 7001)).toEqual([FILED, MENU]);
      await waitFor(async () => (await inHand(database)).length === 0, 5_000, 'her update no longer in hand');
      expect(telegram.callsOf('sendMessage').filter((c) => /something went wrong/i.test(String(c.params.text)))).toEqual([]);
      expect(greeted(telegram)).toHaveLength(OTHERS);
    } finally {
      line.open();
      if (second) expect((await stopRoshni(second)).code, second.stderr()).toBe(0);
      else if (first) await stopRoshni(first);
      await clinic.close();
    }
  }, 180_000);

  it('killed with updates in hand (no stop at all), the next start answers each of them exactly once, in order', async () => {
    const clinic = await openClinic();
    const { telegram, database } = clinic;
    const line = gate();
    let first: ReturnType<typeof start> | undefined;
    let second: ReturnType<typeof start> | undefined;
    try {
      telegram.addFile('rx-cut', PRESCRIPTION);
      telegram.holdDownload('rx-cut', line.until);
      first = start(clinic);
      await first.running();
      // Her document, then "menu" waiting behind it in her chat; two other families meanwhile.
      const document = telegram.pushUpdate(message(7002, prescription('rx-cut')));
      const menu = telegram.pushUpdate(message(7002, { text: 'menu' }));
      for (const chatId of [9301, 9302]) telegram.pushUpdate(message(chatId, { text: '/start' }));
      await waitFor(async () => (await inHand(database)).length === 2, 30_000, 'both of her updates kept');
      expect(await inHand(database)).toEqual([document, menu]);
      await waitFor(() => greeted(telegram).length === 2, 30_000, 'the other families answered');
      await waitFor(() => telegram.unconfirmed().length === 0, 10_000, 'Telegram told to let go of every update');

      first.child.kill('SIGKILL');
      await first.exit;
      expect(repliesTo(telegram, 7002)).toEqual([]);

      line.open();
      second = start(clinic);
      await second.running();
      await waitFor(() => repliesTo(telegram, 7002).length >= 3, 30_000, 'her two answers after the restart');
      await pause(1_500);
      // The document filed (and the menu after it), then the menu she asked for.
      expect(repliesTo(telegram, 7002)).toEqual([FILED, MENU, MENU]);
      expect(greeted(telegram)).toHaveLength(2);
      await waitFor(async () => (await inHand(database)).length === 0, 5_000, 'nothing left in hand');
      expect(telegram.callsOf('sendMessage').filter((c) => /something went wrong/i.test(String(c.params.text)))).toEqual([]);
    } finally {
      line.open();
      if (second) expect((await stopRoshni(second)).code, second.stderr()).toBe(0);
      else if (first) await stopRoshni(first);
      await clinic.close();
    }
  }, 120_000);
});
