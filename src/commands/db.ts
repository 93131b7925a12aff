import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, table } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { migrateToLatest, migrationStatus } from '../infra/db/migrate.js';

export function register(program: Command, run: RunCommand): void {
  const db = program.command('db').description('Database migrations and status');

  db.command('migrate')
    .description('Apply every pending migration (safe to run again)')
    .action(
      run(async (env) =>
        withSession(
          env,
          async ({ database }) => {
            const { applied } = await migrateToLatest(database.db);
            emit(env, { database: database.kind, applied }, () =>
              applied.length ? [`Applied ${applied.length} migration(s):`, ...applied.map((m) => `  ${m}`)] : 'The database is up to date.',
            );
            return 0;
          },
          { skipSchemaCheck: true, acting: 'owner' },
        ),
      ),
    );

  db.command('status')
    .description('Show which migrations are applied and where the data lives')
    .action(
      run(async (env) =>
        withSession(
          env,
          async ({ database }) => {
            const migrations = await migrationStatus(database.db);
            const pending = migrations.filter((m) => !m.executedAt).length;
            emit(env, { database: database.kind, location: database.location, pending, migrations }, () => [
              `Database: ${database.kind === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL'} at ${database.location}`,
              '',
              table(
                ['Migration', 'Applied'],
                migrations.map((m) => [m.name, m.executedAt ? m.executedAt.toISOString() : 'pending']),
              ),
              '',
              pending ? `${pending} pending: run \`roshni db migrate\`.` : 'Up to date.',
            ]);
            return 0;
          },
          { skipSchemaCheck: true, acting: 'owner' },
        ),
      ),
    );
}
