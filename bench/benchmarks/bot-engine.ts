import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { seedClinic } from '../support/seed-clinic.js';
import { p50, p99 } from '../support/stats.js';
import { msSince, now } from '../support/timing.js';

// One update through the conversation engine (lock and load the chat's state, the domain call, save)
// with 50 chats writing at once, against a plain SELECT 1 round trip on the same pool at the same
// concurrency. Each update is "My appointments" pressed at the menu: a domain query, back to the menu.

const CHATS = 50;
const POOL = 10;
const TARGET_P99_MS = 50;

async function concurrently(chats: number, rounds: number, work: (chat: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: chats }, async (_, chat) => {
      for (let i = 0; i < rounds; i++) {
        const start = now();
        await work(chat);
        times.push(msSince(start));
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
      const engine = new ConversationEngine({ db: bench.db, clock: clinic.ctx.clock, timezone: clinic.ctx.timezone, rateLimit: { messages: 1e9, perMs: 1 } });
      env.log(`bot-engine: ${CHATS} chats linked to patients`);
      for (let chat = 0; chat < CHATS; chat++) {
        const patient = await addPatient(clinic.ctx, { fullName: `Chat Patient ${chat}`, allowDuplicate: true });
        await bench.db.insertInto('bot_conversations').values({ channel: 'telegram', chat_id: `bench-${chat}`, patient_id: patient.id }).execute();
        await engine.handle({ channel: 'telegram', chatId: `bench-${chat}`, input: { kind: 'text', text: 'menu' } });
      }
      const update = (chat: number) => engine.handle({ channel: 'telegram', chatId: `bench-${chat}`, input: { kind: 'choice', value: 'mine' } });
      const selectOne = () => bench.pool.query('SELECT 1');
      await concurrently(CHATS, 3, update);
      await concurrently(CHATS, 3, selectOne);
      const engineTimes = await concurrently(CHATS, rounds, update);
      const baseTimes = await concurrently(CHATS, rounds, selectOne);
      const enginePct = { p50: p50(engineTimes), p99: p99(engineTimes) };
      const basePct = { p50: p50(baseTimes), p99: p99(baseTimes) };
      const verdict = enginePct.p99 < TARGET_P99_MS ? 'meets' : 'MISSES';
      return [
        { name: 'bot-engine/update-p50', unit: 'ms', measured: enginePct.p50, baseline: basePct.p50, baselineLabel: `SELECT 1 p50, ${CHATS} concurrent`, better: 'lower' },
        {
          name: 'bot-engine/update-p99',
          unit: 'ms',
          measured: enginePct.p99,
          baseline: basePct.p99,
          baselineLabel: `SELECT 1 p99, ${CHATS} concurrent`,
          better: 'lower',
          notes: `${engineTimes.length} updates on a ${POOL}-connection pool; p99 ${enginePct.p99.toFixed(1)} ms ${verdict} the ${TARGET_P99_MS} ms target`,
        },
      ];
    } finally {
      await bench.close();
    }
  },
};
