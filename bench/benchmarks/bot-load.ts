import { addDays, clinicDate } from '../../src/domain/time.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { runScenario, type ScenarioFigures } from '../support/bot-load-scenario.js';
import { chatIdOf, seedBotUsers, slotsNeededFor } from '../support/seed-bot-users.js';
import { seedClinic, TIMEZONE } from '../support/seed-clinic.js';
import { percentile } from '../support/stats.js';

// The real `roshni start` on PostgreSQL, polling a fake Bot API, with simulated guardians tapping
// through the bot's buttons (1–3 s between taps). A: BENCH_BOT_LOAD_USERS guardians. B: the same,
// plus one chat whose replies the Bot API takes 5 s to answer; the other chats' p99 should not move.
// Targets (issue 23): p99 from the tap under 1 s, no stuck chat, B's other-chat p99 within noise of A's.

const TARGET_P99_MS = 1_000;
const SLOW_CALL_MS = 5_000;
/** How far B's other-chat p99 may sit above A's and still be noise (a shared 2-core machine). */
const NOISE_RATIO = 1.25;
const THERAPISTS = 8;

const ms = (value: number) => `${Math.round(value)} ms`;
const mb = (value: number | null) => (value === null ? 'n/a' : `${Math.round(value)} MB`);

function summary(label: string, f: ScenarioFigures): string {
  const t = f.tally;
  const l = t.latencies.length ? t.latencies : [Number.NaN];
  const health = f.healthMs.length ? `/health p99 ${ms(percentile(f.healthMs, 99))} max ${ms(Math.max(...f.healthMs))}` : '/health not sampled';
  return (
    `${label}: ${f.users} users, ${f.seconds} s; ${t.taps} updates sent, ${t.answeredTaps} answered, ${(t.replies / f.seconds).toFixed(1)} replies/s; ` +
    `latency from the tap p50 ${ms(percentile(l, 50))} p95 ${ms(percentile(l, 95))} p99 ${ms(percentile(l, 99))} max ${ms(Math.max(...l))} (target p99 < ${ms(TARGET_P99_MS)}); ` +
    `stuck chats ${t.stuckChats.size} (${t.stuckTaps} taps with no reply in 10 s, ${t.unanswered} never answered; target 0); ` +
    `error replies ${t.errorReplies}; rate-limited replies ${t.rateLimitedReplies} (+${t.droppedTaps} taps dropped after them); ` +
    `peak DB connections ${f.peakDbConnections}; RSS ${mb(f.rssStartMb)} → peak ${mb(f.rssPeakMb)}, end ${mb(f.rssEndMb)}; ${health}`
  );
}

/** "No stuck chat" as a figure: the share of taps answered within 10 s (100 % is the target); taps the flood limiter dropped after its "slow down" are counted apart, not as stuck. */
function answeredInTime(name: string, f: ScenarioFigures): BenchResult {
  const t = f.tally;
  return {
    name,
    unit: '%',
    measured: t.taps ? (100 * (t.taps - t.stuckTaps)) / t.taps : 0,
    baseline: 100,
    baselineLabel: 'every tap',
    better: 'higher',
    targetRatio: 1,
    notes: `${t.stuckChats.size} stuck chats of ${f.users}; ${t.droppedTaps} taps dropped by the flood limiter`,
  };
}

function p99Of(f: ScenarioFigures): number {
  return f.tally.latencies.length ? percentile(f.tally.latencies, 99) : Number.NaN;
}

export const botLoad: Benchmark = {
  name: 'bot-load',
  description: 'the real `roshni start` (long polling a fake Bot API) with simulated guardians; p99 from the tap vs the 1 s target, and with one slow chat',
  needsDatabase: true,
  async run(env): Promise<BenchResult[]> {
    const users = positiveIntFromEnv('BENCH_BOT_LOAD_USERS', 500);
    const seconds = positiveIntFromEnv('BENCH_BOT_LOAD_SECONDS', 60);
    const databaseUrl = requireDatabaseUrl(env);
    const bench = openBenchPool(databaseUrl, 2);
    let chatIds: number[];
    try {
      // `roshni start` runs on the real clock: the clinic's slots start tomorrow.
      const now = new Date();
      const clinic = await seedClinic(bench.db, {
        therapists: THERAPISTS,
        slotsNeeded: slotsNeededFor(users + 1),
        now,
        firstDay: addDays(clinicDate(now, TIMEZONE), 1),
      });
      chatIds = await seedBotUsers(bench.pool, clinic, users + 1);
    } finally {
      await bench.close();
    }
    const slowChatId = chatIdOf(users);
    const everyone = chatIds.filter((id) => id !== slowChatId);
    env.log(`seeded ${users + 1} guardians on Telegram; scenario A`);
    const a = await runScenario({ databaseUrl, chatIds: everyone, seconds, log: env.log });
    env.log(summary('A', a));
    env.log('scenario B');
    const b = await runScenario({ databaseUrl, chatIds: everyone, seconds, slowChat: { chatId: slowChatId, slowMs: SLOW_CALL_MS }, log: env.log });
    env.log(summary('B', b));
    const slowP99 = b.slowTally?.latencies.length ? ms(percentile(b.slowTally.latencies, 99)) : 'none';
    // Once A misses its own target the bot is saturated: B's other chats wait behind the backlog either way.
    const saturated = p99Of(a) > TARGET_P99_MS ? ' (A misses its own target: saturated, so this comparison says little)' : '';

    return [
      {
        name: 'bot-load/A-p99',
        unit: 'ms',
        measured: p99Of(a),
        baseline: TARGET_P99_MS,
        baselineLabel: 'the 1 s target',
        better: 'lower',
        targetRatio: 1,
        notes: summary('A', a),
      },
      answeredInTime('bot-load/A-taps-answered-in-10s', a),
      {
        name: 'bot-load/B-other-chats-p99',
        unit: 'ms',
        measured: p99Of(b),
        baseline: p99Of(a),
        baselineLabel: 'A p99, no slow chat',
        better: 'lower',
        // No verdict from a saturated A: the table would say "meets target" of two backlogs.
        ...(saturated ? {} : { targetRatio: NOISE_RATIO }),
        notes: `${summary('B', b)}; the slow chat (${SLOW_CALL_MS / 1000} s per reply): ${b.slowTally?.taps ?? 0} taps, p99 ${slowP99}${saturated}`,
      },
      answeredInTime('bot-load/B-taps-answered-in-10s', b),
    ];
  },
};
