import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createBackup } from '../../src/infra/backup/backups.js';
import { findPostgresTool, libpqEnv } from '../../src/infra/backup/pg-tools.js';
import { restoreBackup } from '../../src/infra/backup/restore.js';
import { loadConfig } from '../../src/infra/config.js';
import { openPostgres } from '../../src/infra/db/database.js';
import { createDatabase, databaseUrl, dropDatabase } from '../../src/infra/db/server-admin.js';
import { requireDatabaseUrl, type Benchmark, type BenchResult } from '../support/benchmark.js';
import { openBenchPool } from '../support/database.js';
import { positiveIntFromEnv } from '../support/env.js';
import { insertAppointments, seedClinic } from '../support/seed-clinic.js';
import { median } from '../support/stats.js';
import { timed } from '../support/timing.js';

// `roshni backup create` and `roshni backup restore` of a clinic with 100,000 appointments, against
// plain `pg_dump -Fc` and `pg_restore` of the same database in the same run. Roshni's backup adds the
// manifest's row counts (in pg_dump's snapshot, counted while pg_dump starts up), the key tables'
// checksums (summed while it writes), a SHA-256 over the file, fsync and a rename; its
// restore checks the file first, then drops the old schema, loads and re-counts in one transaction.

const run = promisify(execFile);

export const backupBench: Benchmark = {
  name: 'backup',
  description: 'backup and restore of 100,000 appointments vs plain pg_dump -Fc / pg_restore',
  needsDatabase: true,
  async run(env) {
    const url = requireDatabaseUrl(env);
    const appointments = positiveIntFromEnv('BENCH_BACKUP_APPOINTMENTS', 100_000);
    const rounds = positiveIntFromEnv('BENCH_ROUNDS', 3);
    const bench = openBenchPool(url, 4);
    const home = mkdtempSync(join(tmpdir(), 'roshni-bench-backup-'));
    const target = `${new URL(url).pathname.slice(1)}_restore`;
    const targetUrl = databaseUrl(url, target);
    const database = await openPostgres(url, { max: 2 });
    try {
      env.log(`seeding ${appointments} appointments`);
      await insertAppointments(bench.pool, await seedClinic(bench.db, { therapists: 40, slotsNeeded: appointments }), appointments);
      await bench.pool.query('VACUUM ANALYZE');
      const { rows } = await bench.pool.query<{ major: number }>(`SELECT current_setting('server_version_num')::int / 10000 AS major`);
      const [pgDump, pgRestore] = [findPostgresTool('pg_dump', rows[0]!.major), findPostgresTool('pg_restore', rows[0]!.major)];
      const source = libpqEnv(url);
      const into = libpqEnv(targetUrl);
      const config = loadConfig({ DATABASE_URL: url, ROSHNI_HOME: home }, '/nonexistent/.env');
      const intoConfig = loadConfig({ DATABASE_URL: targetUrl, ROSHNI_HOME: home }, '/nonexistent/.env');
      const freshTarget = async () => {
        await dropDatabase(url, target);
        await createDatabase(url, target);
      };

      const times = { backup: [] as number[], pgDump: [] as number[], restore: [] as number[], pgRestore: [] as number[] };
      let sizes = { roshni: 0, pgDump: 0 };
      for (let round = 1; round <= rounds; round++) {
        const plain = join(home, `plain-${round}.dump`);
        const dumped = await timed(() => run(pgDump, ['--format=custom', `--file=${plain}`, `--dbname=${source.dbname}`], { env: source.env }));
        const made = await timed(() => createBackup(database, config, { kind: 'manual', clock: { now: () => new Date() } }));
        if (made.result.tables.appointments !== appointments) throw new Error(`the backup counted ${made.result.tables.appointments} appointments`);
        await freshTarget();
        const plainRestore = await timed(() => run(pgRestore, ['--no-owner', `--dbname=${into.dbname}`, plain], { env: into.env }));
        await freshTarget();
        const restored = await timed(() =>
          restoreBackup(made.result.file, intoConfig, {
            force: false,
            trust: { allowUnencrypted: false, fileFromElsewhere: true },
            progress: () => {},
            clock: { now: () => new Date() },
          }),
        );
        if (!restored.result.ok) throw new Error('the restore did not match its manifest');
        times.pgDump.push(dumped.ms);
        times.backup.push(made.ms);
        times.pgRestore.push(plainRestore.ms);
        times.restore.push(restored.ms);
        sizes = { roshni: made.result.sizeBytes, pgDump: statSync(plain).size };
        env.log(
          `round ${round}: backup ${made.ms.toFixed(0)} ms vs pg_dump ${dumped.ms.toFixed(0)} ms; ` +
            `restore ${restored.ms.toFixed(0)} ms vs pg_restore ${plainRestore.ms.toFixed(0)} ms`,
        );
      }
      const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;
      const results: BenchResult[] = [
        {
          name: 'backup/create',
          unit: 'ms',
          measured: median(times.backup),
          baseline: median(times.pgDump),
          baselineLabel: 'pg_dump -Fc',
          better: 'lower',
          targetRatio: 1.2,
          notes: `${appointments} appointments; file ${mb(sizes.roshni)} vs ${mb(sizes.pgDump)}; median of ${rounds}`,
        },
        {
          name: 'backup/restore',
          unit: 'ms',
          measured: median(times.restore),
          baseline: median(times.pgRestore),
          baselineLabel: 'pg_restore',
          better: 'lower',
          targetRatio: 1.2,
          notes: `into an empty database; one transaction, counts checked against the manifest; median of ${rounds}`,
        },
      ];
      return results;
    } finally {
      await database.close();
      await bench.close();
      await dropDatabase(url, target);
      rmSync(home, { recursive: true, force: true });
    }
  },
};
