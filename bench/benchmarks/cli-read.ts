import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { ensureEmbeddedServer, stopEmbeddedServer } from '../../src/infra/db/embedded-server.js';
import { openBenchPool } from '../support/database.js';
import { timeAlternating, timeNodeProcess } from '../support/node-process.js';
import { repoRoot } from '../support/paths.js';
import { seedSignedInClinic } from '../support/signed-in-clinic.js';
import { median } from '../support/stats.js';

// A member of staff's read at the desk, as its own process (what they wait for): `roshni today` and
// `roshni schedule --date` (a day of 72 appointments) on a PostgreSQL server, and `roshni today` on the
// embedded default (its server already started, as after a clinic's first command), against node
// connecting to the server with `pg` and running SELECT 1, the least any command that reads the database can do.

const RUNS = 15;
const WARMUPS = 2;
const SEEDED_DAY = '2030-01-07';

const BASELINE_SCRIPT = `
import pg from 'pg';
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT 1');
await client.end();
`;

export const cliRead: Benchmark = {
  name: 'cli-read',
  description: '`roshni today` and `roshni schedule --date` as processes, against node + pg connect + SELECT 1',
  needsDatabase: true,
  async run(env) {
    const url = requireDatabaseUrl(env);
    const home = mkdtempSync(join(tmpdir(), 'roshni-bench-cli-read-'));
    // The baseline lives in the repository so that `pg` resolves from node_modules.
    const baseline = join(repoRoot, 'dist', 'bench', 'pg-select-one.mjs');
    writeFileSync(baseline, BASELINE_SCRIPT);
    const { db, pool, close } = openBenchPool(url, 2);
    // The embedded default: its own home, migrated by a first command, then the same clinic seeded into it.
    const embeddedHome = mkdtempSync(join(tmpdir(), 'roshni-bench-cli-read-embedded-'));
    try {
      const { token } = await seedSignedInClinic(db, pool);
      const processEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, ROSHNI_HOME: home, ROSHNI_SESSION: token };
      timeNodeProcess(['bin/roshni.js', 'db', 'migrate'], { PATH: process.env.PATH, HOME: process.env.HOME, ROSHNI_HOME: embeddedHome });
      const embedded = openBenchPool((await ensureEmbeddedServer(embeddedHome)).url, 2);
      const embeddedToken = await seedSignedInClinic(embedded.db, embedded.pool).finally(() => embedded.close());
      const embeddedEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ROSHNI_HOME: embeddedHome, ROSHNI_SESSION: embeddedToken.token };
      env.log(`cli read: ${WARMUPS} warm-ups, then ${RUNS} runs of each, alternating`);
      const times = timeAlternating(
        {
          bare: { args: [baseline], env: processEnv },
          today: { args: ['bin/roshni.js', 'today'], env: processEnv },
          schedule: { args: ['bin/roshni.js', 'schedule', '--date', SEEDED_DAY], env: processEnv },
          embeddedToday: { args: ['bin/roshni.js', 'today'], env: embeddedEnv },
        },
        { warmups: WARMUPS, runs: RUNS },
      );
      const bare = median(times.bare);
      const result = (name: 'today' | 'schedule' | 'embeddedToday', label: string, targetRatio = 1.5): BenchResult => ({
        name: `cli-read/${name === 'embeddedToday' ? 'embedded-today' : name}`,
        unit: 'ms',
        measured: median(times[name]),
        baseline: bare,
        baselineLabel: 'node + pg connect + SELECT 1',
        better: 'lower',
        targetRatio,
        notes: `median of ${RUNS}: ${label}; range ${Math.min(...times[name]).toFixed(0)}–${Math.max(...times[name]).toFixed(0)} ms, baseline ${Math.min(...times.bare).toFixed(0)}–${Math.max(...times.bare).toFixed(0)} ms`,
      });
      return [
        result('today', 'signed in, the day on the server'),
        result('schedule', `signed in, ${SEEDED_DAY}'s 72 appointments`),
        result('embeddedToday', 'signed in, the embedded default with its server running', 2),
      ];
    } finally {
      await close();
      await stopEmbeddedServer(embeddedHome).catch(() => {});
      rmSync(embeddedHome, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
      rmSync(baseline, { force: true });
    }
  },
};
