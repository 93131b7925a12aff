import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { openSession, type Acting } from '../../src/cli/session.js';
import type { CommandEnv } from '../../src/cli/io.js';
import { listAppointments } from '../../src/domain/scheduling/appointment-queries.js';
import { clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import type { Benchmark } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { seedSignedInClinic } from '../support/signed-in-clinic.js';
import { median } from '../support/stats.js';
import { msSince, now } from '../support/timing.js';

// `roshni today` for a signed-in member of staff against the same command as it ran before sign-in
// existed (the desk's role, acting as the system): the whole path of a command in this process (open
// the database, check the schema, resume the session, read the day, close), timed, and its round
// trips to the server counted. The sign-in itself (scrypt) happens once, before.

const RUNS = 40;
const WARMUPS = 3;
const DAY_NOW = '2030-01-07T07:00:00+05:30';

/** Counts every query a pg client sends while `work` runs: one query is one round trip. */
async function countingRoundTrips<T>(work: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let roundTrips = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    roundTrips += 1;
    return original.apply(this, args);
  };
  try {
    return { result: await work(), roundTrips };
  } finally {
    proto.query = original;
  }
}

function commandEnv(databaseUrl: string, home: string, token?: string): CommandEnv {
  const env: Record<string, string> = { DATABASE_URL: databaseUrl, ROSHNI_HOME: home };
  if (token) env.ROSHNI_SESSION = token;
  return {
    io: { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env, clock: fixedClock(DAY_NOW) },
    json: true,
    debug: false,
    interactive: false,
  };
}

/** What `roshni today` does, acting as `acting`; the number of appointments it read. */
async function today(env: CommandEnv, acting: Acting): Promise<number> {
  const session = await openSession(env, { acting });
  try {
    const date = clinicDate(session.ctx.clock.now(), session.ctx.timezone);
    return (await listAppointments(session.ctx, { from: date, to: date })).length;
  } finally {
    await session.database.close();
  }
}

export const sessionOverhead: Benchmark = {
  name: 'session-overhead',
  description: '`roshni today` signed in against the same command before sign-in (no session to check)',
  needsDatabase: true,
  async run(env) {
    const url = env.databaseUrl!;
    const home = mkdtempSync(join(tmpdir(), 'roshni-bench-home-'));
    const { db, pool, close } = openBenchPool(url, 2);
    try {
      const { token } = await seedSignedInClinic(db, pool);
      const signedIn = commandEnv(url, home, token);
      const before = commandEnv(url, home);

      const times = { signedIn: [] as number[], before: [] as number[] };
      const trips = { signedIn: 0, before: 0 };
      let read = 0;
      env.log(`${WARMUPS} warm-ups, then ${RUNS} runs of each, alternating`);
      for (let i = 0; i < WARMUPS + RUNS; i++) {
        for (const which of ['before', 'signedIn'] as const) {
          const start = now();
          const { result, roundTrips } = await countingRoundTrips(() =>
            today(which === 'signedIn' ? signedIn : before, which === 'signedIn' ? 'staff' : 'signing-in'),
          );
          const ms = msSince(start);
          if (i < WARMUPS) continue;
          times[which].push(ms);
          trips[which] = roundTrips;
          read = result;
        }
      }
      const extraTrips = trips.signedIn - trips.before;
      return [
        {
          name: 'session-overhead/today',
          unit: 'ms',
          measured: median(times.signedIn),
          baseline: median(times.before),
          baselineLabel: 'today, no session',
          better: 'lower',
          notes: `median of ${RUNS}, ${read} appointments read; round trips ${trips.signedIn} signed in vs ${trips.before} before (+${extraTrips}: the session's one)`,
        },
      ];
    } finally {
      await close();
      rmSync(home, { recursive: true, force: true });
    }
  },
};
