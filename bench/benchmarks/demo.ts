import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopEmbeddedServer } from '../../src/infra/db/embedded-server.js';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/infra/db/server-admin.js';
import { requireDatabaseUrl, type Benchmark } from '../support/benchmark.js';
import { timeNodeProcess } from '../support/node-process.js';
import { median } from '../support/stats.js';

// A fresh `roshni demo` as its own process, on a new empty database of a PostgreSQL server: migrations,
// the demo clinic and its thirteen weeks of past, and the schedule it prints. Against `roshni db migrate`
// on a new empty database alike, the part of it that is the schema alone. The target is in seconds
// (≤ 1.5 s on a server, so that with about 1.2 s of starting the embedded server a first demo fits in 3 s),
// and the newcomer's first command itself: `roshni demo` in a new ROSHNI_HOME with no DATABASE_URL
// (initdb, the embedded server's start, migrations, the demo), ≤ 3 s.

const RUNS = 5;
const WARMUPS = 1;
const TARGET_MS = 1_500;
const EMBEDDED_TARGET_MS = 3_000;

export const demoBench: Benchmark = {
  name: 'demo',
  description: '`roshni demo` on a fresh empty database of a server, against `roshni db migrate` on one',
  needsDatabase: true,
  async run(env) {
    // The server of the database the runner made; each run gets new empty databases of its own.
    const serverUrl = requireDatabaseUrl(env);
    const home = mkdtempSync(join(tmpdir(), 'roshni-bench-demo-'));
    const times = { demo: [] as number[], migrate: [] as number[], embedded: [] as number[] };
    env.log(`demo: ${WARMUPS} warm-up, then ${RUNS} runs of each on new databases, alternating`);
    try {
      for (let i = 0; i < WARMUPS + RUNS; i++) {
        const fresh = mkdtempSync(join(tmpdir(), 'roshni-bench-demo-embedded-'));
        try {
          const ms = timeNodeProcess(['bin/roshni.js', 'demo'], { PATH: process.env.PATH, HOME: process.env.HOME, ROSHNI_HOME: fresh });
          if (i >= WARMUPS) times.embedded.push(ms);
        } finally {
          await stopEmbeddedServer(fresh).catch(() => {});
          rmSync(fresh, { recursive: true, force: true });
        }
        for (const which of ['migrate', 'demo'] as const) {
          const name = `bench_demo_${which}_${randomBytes(4).toString('hex')}`;
          await createDatabase(serverUrl, name);
          try {
            const processEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl(serverUrl, name), ROSHNI_HOME: home };
            const ms = timeNodeProcess(['bin/roshni.js', ...(which === 'demo' ? ['demo'] : ['db', 'migrate'])], processEnv);
            if (i >= WARMUPS) times[which].push(ms);
          } finally {
            await dropDatabase(serverUrl, name);
          }
        }
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    const demo = median(times.demo);
    const embedded = median(times.embedded);
    return [
      {
        name: 'demo/fresh',
        unit: 'ms',
        measured: demo,
        baseline: median(times.migrate),
        baselineLabel: 'roshni db migrate on an empty database',
        better: 'lower',
        notes:
          `median of ${RUNS}: ${(demo / 1000).toFixed(2)} s, target ≤ ${TARGET_MS / 1000} s: ${demo <= TARGET_MS ? 'meets' : 'MISSES'}; ` +
          `range ${Math.min(...times.demo).toFixed(0)}–${Math.max(...times.demo).toFixed(0)} ms, migrate ${Math.min(...times.migrate).toFixed(0)}–${Math.max(...times.migrate).toFixed(0)} ms`,
      },
      {
        name: 'demo/embedded-fresh',
        unit: 'ms',
        measured: embedded,
        baseline: demo,
        baselineLabel: 'roshni demo on an empty database of a running server',
        better: 'lower',
        notes:
          `median of ${RUNS}: ${(embedded / 1000).toFixed(2)} s in a new ROSHNI_HOME, target ≤ ${EMBEDDED_TARGET_MS / 1000} s: ${embedded <= EMBEDDED_TARGET_MS ? 'meets' : 'MISSES'}; ` +
          `range ${Math.min(...times.embedded).toFixed(0)}–${Math.max(...times.embedded).toFixed(0)} ms`,
      },
    ];
  },
};
