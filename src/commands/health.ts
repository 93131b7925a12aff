import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit, table } from '../cli/output.js';
import { loadConfig } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/db/database.js';
import { checkHealth, HEALTH_EXIT_CODE, recordHealth, type HealthDeps } from '../infra/health/health.js';

/**
 * Exit 0 healthy, 1 degraded, 2 unhealthy. Works while the database is down (that is one of the
 * things it reports), so it opens the database itself rather than through a session; it shows no
 * patient data and needs no role.
 */
async function health(env: CommandEnv): Promise<number> {
  const config = loadConfig(env.io.env);
  let database: Database | undefined;
  let db: HealthDeps['db'];
  try {
    database = await openDatabase(config);
    if (database.kind === 'embedded') {
      const { migrateToLatest } = await import('../infra/db/migrate.js');
      await migrateToLatest(database.db); // as every command does on the embedded database
    }
    db = database.db;
  } catch (error) {
    db = { error: error as Error };
  }
  try {
    const report = await checkHealth({ config, clock: env.io.clock, db });
    if (!('error' in db) && report.checks[0]?.status !== 'fail') await recordHealth(db, report).catch(() => {});
    emit(env, report, () => [
      table(
        ['Check', 'Status', 'Detail', 'Time'],
        report.checks.map((c) => [c.name, c.status, c.detail, `${c.ms} ms`]),
      ),
      '',
      `Roshni is ${report.status} (${report.durationMs} ms).`,
    ]);
    return HEALTH_EXIT_CODE[report.status];
  } finally {
    await database?.close().catch(() => {});
  }
}

export function register(program: Command, run: RunCommand): void {
  program.command('health').description('Check the database, disk, backups, documents, outbox and external services (exit 0/1/2)').action(run(health));
}
