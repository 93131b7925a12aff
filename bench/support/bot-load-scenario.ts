import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startFakeTelegram } from './fake-telegram.js';
import { seededRandom } from './guardian-script.js';
import { startRoshni, type RoshniProcess } from './roshni-process.js';
import { emptyTally, REPLY_METHODS, SimulatedGuardian, type LoadTally } from './simulated-guardian.js';

// One run of the bot-load benchmark: a fake Bot API, the real `roshni start` polling it, and the
// simulated guardians, while the database's connections, the process's memory and GET /health are
// sampled. Optionally one more chat whose every reply takes the Bot API `slowMs` to answer: an
// outside call that holds that chat's turn (and, if updates are handled one at a time, everyone's).

export interface ScenarioOptions {
  databaseUrl: string;
  chatIds: readonly number[];
  seconds: number;
  /** A chat (seeded like the others) whose replies the Bot API answers only after slowMs. */
  slowChat?: { chatId: number; slowMs: number };
  log(line: string): void;
}

export interface ScenarioFigures {
  users: number;
  seconds: number;
  tally: LoadTally;
  /** The slow chat's own figures, when there is one. */
  slowTally?: LoadTally;
  peakDbConnections: number;
  rssStartMb: number | null;
  rssPeakMb: number | null;
  rssEndMb: number | null;
  healthMs: number[];
}

const SAMPLE_EVERY_MS = 500;
const HEALTH_EVERY_MS = 1_000;
const BOT_READY_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until GET /health says the Telegram bot is running (it connects in the background). */
async function botRunning(roshni: RoshniProcess): Promise<void> {
  const deadline = Date.now() + BOT_READY_TIMEOUT_MS;
  for (;;) {
    const report = (await (await fetch(`${roshni.httpUrl}/health`)).json().catch(() => ({}))) as { checks?: Array<{ name: string; status: string }> };
    if (report.checks?.find((c) => c.name === 'telegram')?.status === 'ok') return;
    if (Date.now() > deadline) throw new Error(`the Telegram bot was not running after ${BOT_READY_TIMEOUT_MS / 1000} s: ${JSON.stringify(report.checks)}`);
    await sleep(200);
  }
}

/** Samples the database's connections (this sampler's own excepted) and the process's memory. */
function startSampling(databaseUrl: string, roshni: RoshniProcess) {
  const client = new pg.Client({ connectionString: databaseUrl });
  const figures = { peakDbConnections: 0, rssPeakMb: null as number | null, healthMs: [] as number[] };
  let stopped = false;
  const sample = async () => {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    figures.peakDbConnections = Math.max(figures.peakDbConnections, Number(rows[0]!.n));
    const rss = roshni.rssMb();
    if (rss !== null) figures.rssPeakMb = Math.max(figures.rssPeakMb ?? 0, rss);
  };
  const health = async () => {
    const started = performance.now();
    const response = await fetch(`${roshni.httpUrl}/health`);
    await response.arrayBuffer();
    figures.healthMs.push(performance.now() - started);
  };
  const loop = async (every: number, work: () => Promise<void>) => {
    while (!stopped) {
      await work().catch(() => {});
      await sleep(every);
    }
  };
  const running = client.connect().then(() => Promise.all([loop(SAMPLE_EVERY_MS, sample), loop(HEALTH_EVERY_MS, health)]));
  return {
    figures,
    async stop() {
      stopped = true;
      await running.catch(() => {});
      await client.end().catch(() => {});
      return figures;
    },
  };
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioFigures> {
  const tally = emptyTally();
  const slowTally = options.slowChat ? emptyTally() : undefined;
  const guardians = new Map<number, SimulatedGuardian>();
  const slow = options.slowChat;
  const telegram = await startFakeTelegram({
    recordCalls: false,
    onCall: (call) => {
      if (REPLY_METHODS.has(call.method)) guardians.get(Number(call.params.chat_id))?.onReply(call);
    },
    answerDelayMs: (call) => (slow && REPLY_METHODS.has(call.method) && Number(call.params.chat_id) === slow.chatId ? slow.slowMs : 0),
  });
  let roshni: RoshniProcess | undefined;
  try {
    roshni = await startRoshni({
      DATABASE_URL: options.databaseUrl,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      ROSHNI_LOG_LEVEL: 'warn',
    });
    await botRunning(roshni);
    const rssStartMb = roshni.rssMb();
    const sampling = startSampling(options.databaseUrl, roshni);

    options.chatIds.forEach((chatId, user) => guardians.set(chatId, new SimulatedGuardian(chatId, telegram, seededRandom(user + 1), tally)));
    if (slow) guardians.set(slow.chatId, new SimulatedGuardian(slow.chatId, telegram, seededRandom(0x5107), slowTally!));
    // Guardians arrive over the first quarter of the run (at most 10 s), not all in the same instant.
    const startedAt = performance.now();
    const rampMs = Math.min(10_000, (options.seconds * 1000) / 4);
    const until = startedAt + options.seconds * 1000;
    options.log(`${options.chatIds.length} guardians${slow ? ` and one chat whose replies take ${slow.slowMs} ms` : ''}, ${options.seconds} s`);
    const progress = setInterval(
      () =>
        options.log(
          `  ${Math.round((performance.now() - startedAt) / 1000)} s: ${tally.taps} taps, ${tally.answeredTaps} answered, ${tally.stuckChats.size} stuck chats`,
        ),
      10_000,
    );
    await Promise.all([...guardians.values()].map((g, i) => g.run(startedAt + (rampMs * i) / guardians.size, until))).finally(() => clearInterval(progress));

    const sampled = await sampling.stop();
    return {
      users: options.chatIds.length,
      seconds: options.seconds,
      tally,
      ...(slowTally ? { slowTally } : {}),
      peakDbConnections: sampled.peakDbConnections,
      rssStartMb,
      rssPeakMb: sampled.rssPeakMb,
      rssEndMb: roshni.rssMb(),
      healthMs: sampled.healthMs,
    };
  } finally {
    const code = await roshni?.stop();
    if (roshni && code !== 0) options.log(`roshni start exited with ${code} when stopped`);
    await telegram.close();
  }
}
