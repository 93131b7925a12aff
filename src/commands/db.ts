import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit, table } from '../cli/output.js';
import { sessionAction, withSession } from '../cli/session.js';
import { loadConfig } from '../infra/config.js';
import { OperationalError } from '../infra/failure.js';
import { migrateToLatest, migrationStatus, type MigrationStatus } from '../infra/db/migrate.js';
import type { EmbeddedServerStatus } from '../infra/db/embedded-server.js';

export function register(program: Command, run: RunCommand): void {
  const db = program.command('db').description('Database migrations, status, and the embedded server');

  db.command('migrate')
    .description('Apply every pending migration (safe to run again)')
    .action(
      sessionAction(
        run,
        async ({ database, env }) => {
          const { applied } = await migrateToLatest(database.db);
          emit(env, { database: database.kind, applied }, () =>
            applied.length ? [`Applied ${applied.length} migration(s):`, ...applied.map((m) => `  ${m}`)] : 'The database is up to date.',
          );
          return 0;
        },
        { skipSchemaCheck: true, acting: 'owner' },
      ),
    );

  db.command('status')
    .description("Show which migrations are applied, where the data lives, and the embedded server's state")
    .action(run((env) => status(env)));

  db.command('start')
    .description('Start the embedded database server (any command does; this one does nothing else)')
    .action(run((env) => start(env)));

  db.command('stop')
    .description('Stop the embedded database server (a running `roshni start` leaves it stopped; the next command starts it again)')
    .action(run((env) => stop(env)));
}

/** The embedded server is not started by `db status`: a stopped one is reported as stopped. */
async function status(env: CommandEnv): Promise<number> {
  const config = loadConfig(env.io.env);
  let server: EmbeddedServerStatus | undefined;
  if (!config.databaseUrl) {
    const { embeddedServerStatus } = await import('../infra/db/embedded-server.js');
    server = await embeddedServerStatus(config.home);
    if (server.state !== 'running') {
      emit(env, { database: 'embedded', location: server.dataDir, server }, () => serverLines(server!));
      return 0;
    }
  }
  return withSession(
    env,
    async ({ database }) => {
      const migrations = await migrationStatus(database.db);
      const pending = migrations.filter((m) => !m.executedAt).length;
      emit(env, { database: database.kind, location: database.location, ...(server ? { server } : {}), pending, migrations }, () => [
        ...(server ? serverLines(server) : [`Database: PostgreSQL at ${database.location}`]),
        '',
        migrationsTable(migrations),
        '',
        pending ? `${pending} pending: run \`roshni db migrate\`.` : 'Up to date.',
      ]);
      return 0;
    },
    { skipSchemaCheck: true, acting: 'owner' },
  );
}

function serverLines(server: EmbeddedServerStatus): string[] {
  const state = { running: `running (pid ${server.pid})`, stopped: 'stopped', absent: 'not created yet' }[server.state];
  return [
    `Database: embedded PostgreSQL ${server.version ?? ''}`.trimEnd(),
    `Server:   ${state}`,
    `Data:     ${server.dataDir}`,
    `Socket:   ${server.socketDir}`,
    ...(server.state === 'running' ? [] : ['', server.state === 'absent' ? 'The first command creates and starts it.' : 'Any command starts it again.']),
  ];
}

function migrationsTable(migrations: MigrationStatus[]): string {
  return table(
    ['Migration', 'Applied'],
    migrations.map((m) => [m.name, m.executedAt ? m.executedAt.toISOString() : 'pending']),
  );
}

function embeddedOnly(env: CommandEnv, what: string) {
  const config = loadConfig(env.io.env);
  if (config.databaseUrl) {
    throw new OperationalError('configuration', `DATABASE_URL is set: its PostgreSQL server is ${what} by whoever runs it, not by \`roshni db\`.`);
  }
  return config;
}

async function start(env: CommandEnv): Promise<number> {
  const config = embeddedOnly(env, 'started');
  const [{ startEmbeddedServer, embeddedServerStatus }, { clearStoppedByHand }] = await Promise.all([
    import('../infra/db/embedded-server.js'),
    import('../infra/db/embedded-stop-marker.js'),
  ]);
  const { started } = await startEmbeddedServer(config.home, (line) => void env.io.stderr.write(`${line}\n`));
  clearStoppedByHand(config.home);
  const { pid, dataDir } = await embeddedServerStatus(config.home);
  emit(env, { started, pid, dataDir }, () =>
    started ? `The embedded database server started (pid ${pid}).` : `The embedded database server was already running (pid ${pid}).`,
  );
  return 0;
}

/** Deliberate: the marker is left first, so a running `roshni start` that sees the server go does not start it again. */
async function stop(env: CommandEnv): Promise<number> {
  const config = embeddedOnly(env, 'stopped');
  const [{ stopEmbeddedServer, embeddedServerStatus }, { markStoppedByHand, clearStoppedByHand }] = await Promise.all([
    import('../infra/db/embedded-server.js'),
    import('../infra/db/embedded-stop-marker.js'),
  ]);
  const before = await embeddedServerStatus(config.home);
  let wasRunning = false;
  if (before.state !== 'absent') {
    markStoppedByHand(config.home, env.io.clock.now());
    try {
      ({ wasRunning } = await stopEmbeddedServer(config.home));
    } catch (error) {
      clearStoppedByHand(config.home);
      throw error;
    }
  }
  emit(env, { stopped: wasRunning, dataDir: before.dataDir }, () =>
    wasRunning
      ? 'The embedded database server stopped. A running `roshni start` lost its connections and leaves it stopped: its bots and jobs wait until `roshni db start` (or any other command) starts it again.'
      : 'The embedded database server was not running.',
  );
  return 0;
}
