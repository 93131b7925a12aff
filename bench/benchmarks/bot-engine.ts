import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { seedClinic } from '../support/seed-clinic.js';
import { p50, p99 } from '../support/stats.js';
import { msSince, now } from '../support/timing.js';

// One update through the conversation engine (lock and load the chat's state, the domain call, save)
// with 50 chats, against a plain SELECT 1 round trip on the same pool at the same concurrency. Each
// update is "My appointments" pressed at the menu: a domain query, back to the menu.
//
// Two loads. Paced: each of the 50 chats sends an update every PACE_MS (people read and type; at
// 500 ms that is 100 updates a second, far above a clinic's day) — the target applies here. Flat out:
// every chat sends its next update the moment the last is answered, so latency is queueing for the
// CPU (2 cores shared with PostgreSQL); a stress figure, reported beside it.

const CHATS = 50;
const POOL = 10;
const TARGET_P99_MS = 50;
const PACE_MS = 500;

/** Each chat sends `rounds` updates, the next one `paceMs` after the previous was sent (or at once when answered later). */
async function concurrently(chats: number, rounds: number, work: (chat: number) => Promise<unknown>, paceMs = 0): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: chats }, async (_, chat) => {
      // Chats start spread over one pace interval, as people do not all press at the same instant.
      if (paceMs) await new Promise((resolve) => setTimeout(resolve, (paceMs * chat) / chats));
      for (let i = 0; i < rounds; i++) {
        const start = now();
        await work(chat);
        const took = msSince(start);
        times.push(took);
        if (paceMs > took) await new Promise((resolve) => setTimeout(resolve, paceMs - took));
      }
    }),
  );
  return times;
}

export const botEngine: Benchmark = {
  name: 'bot-engine',
  description: `one bot update (state load, domain call, state save), ${CHATS} concurrent chats, vs SELECT 1`,
  needsDatabase: true,
  async run(env): Promise<BenchResult[]> {
    const rounds = positiveIntFromEnv('BENCH_BOT_ROUNDS', 20);
    const bench = openBenchPool(requireDatabaseUrl(env), POOL);
    try {
      const clinic = await seedClinic(bench.db, { therapists: 4, slotsNeeded: 48 });
      const engine = new ConversationEngine({
        db: bench.db,
        clock: clinic.ctx.clock,
        timezone: clinic.ctx.timezone,
        rateLimit: { burst: 1e9, perSecond: 1e9 },
      });
      env.log(`bot-engine: ${CHATS} chats linked to patients`);
      for (let chat = 0; chat < CHATS; chat++) {
        const patient = await addPatient(clinic.ctx, { fullName: `Chat Patient ${chat}`, allowDuplicate: true });
        await bench.db
          .insertInto('bot_conversations')
          .values({ channel: 'telegram', chat_id: `bench-${chat}`, patient_id: patient.id })
          .execute();
        await engine.handle({ channel: 'telegram', chatId: `bench-${chat}`, input: { kind: 'text', text: 'menu' } });
      }
      const update = (chat: number) => engine.handle({ channel: 'telegram', chatId: `bench-${chat}`, input: { kind: 'choice', value: 'mine' } });
      const selectOne = () => bench.pool.query('SELECT 1');
      await concurrently(CHATS, 3, update);
      await concurrently(CHATS, 3, selectOne);
      const pacedEngine = await concurrently(CHATS, rounds, update, PACE_MS);
      const pacedBase = await concurrently(CHATS, rounds, selectOne, PACE_MS);
      const engineTimes = await concurrently(CHATS, rounds, update);
      const baseTimes = await concurrently(CHATS, rounds, selectOne);
      const verdict = (ms: number) => `${ms < TARGET_P99_MS ? 'meets' : 'MISSES'} the ${TARGET_P99_MS} ms target`;
      const figure = (name: string, times: number[], base: number[], pick: (t: number[]) => number, label: string, notes?: string): BenchResult => ({
        name,
        unit: 'ms',
        measured: pick(times),
        baseline: pick(base),
        baselineLabel: label,
        better: 'lower',
        ...(notes ? { notes } : {}),
      });
      const paced = `${CHATS} chats, one update each per ${PACE_MS} ms`;
      const flat = `${CHATS} chats flat out`;
      return [
        figure('bot-engine/paced-p50', pacedEngine, pacedBase, p50, `SELECT 1 p50, ${paced}`),
        figure(
          'bot-engine/paced-p99',
          pacedEngine,
          pacedBase,
          p99,
          `SELECT 1 p99, ${paced}`,
          `${pacedEngine.length} updates, ${paced}, ${POOL}-connection pool; p99 ${p99(pacedEngine).toFixed(1)} ms ${verdict(p99(pacedEngine))}`,
        ),
        figure('bot-engine/flat-out-p50', engineTimes, baseTimes, p50, `SELECT 1 p50, ${flat}`),
        figure(
          'bot-engine/flat-out-p99',
          engineTimes,
          baseTimes,
          p99,
          `SELECT 1 p99, ${flat}`,
          `${engineTimes.length} updates, ${flat}: queueing for 2 CPU cores (stress figure, no target)`,
        ),
      ];
    } finally {
      await bench.close();
    }
  },
};
