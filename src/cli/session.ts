import type { Actor } from '../domain/actor.js';
import { auditingDenials } from '../domain/audit/denials.js';
import type { DomainContext } from '../domain/context.js';
import { ConfigError, loadConfig, type Config } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/db/database.js';
import { pendingMigrations } from '../infra/db/migrate.js';
import type { CommandEnv } from './io.js';
import { readLoggedInUser } from './local-login.js';
import { SchemaBehindError } from './report-error.js';

export interface Session {
  config: Config;
  database: Database;
  ctx: DomainContext;
}

export interface SessionOptions {
  /** Skip the schema check (for `roshni db …` itself). */
  skipSchemaCheck?: boolean;
}

async function resolveActor(database: Database, config: Config): Promise<Actor> {
  const username = config.env.ROSHNI_USER ?? readLoggedInUser(config.home);
  if (!username) return { kind: 'system' };
  const user = await database.db
    .selectFrom('staff_users as u')
    .leftJoin('therapists as t', 't.staff_user_id', 'u.id')
    .select(['u.id', 'u.role', 'u.active', 't.id as therapist_id'])
    .where('u.username', '=', username)
    .executeTakeFirst();
  if (!user || !user.active) throw new ConfigError('ROSHNI_USER', `names no active staff user (${username})`);
  return { kind: 'staff', staffUserId: user.id, role: user.role, therapistId: user.therapist_id };
}

/**
 * Opens the configured database and builds the domain context. The embedded database brings its
 * schema up to date by itself (a newcomer's first command just works); a PostgreSQL server is
 * migrated only on purpose, with `roshni db migrate`. Commands then work as roshni_app.
 */
export async function openSession(env: CommandEnv, options: SessionOptions = {}): Promise<Session> {
  const config = loadConfig(env.io.env);
  // Commands work as the application role (RLS on clinical records, an append-only audit log); the
  // embedded database is migrated by openDatabase first, as its owner.
  const database = await openDatabase(config, { appRole: !options.skipSchemaCheck });
  try {
    if (!options.skipSchemaCheck && database.kind === 'postgres') {
      const pending = await pendingMigrations(database.db);
      if (pending.length) throw new SchemaBehindError(pending);
    }
    const settings = options.skipSchemaCheck
      ? undefined
      : await database.db.selectFrom('clinic_settings').select('timezone').executeTakeFirst();
    const ctx: DomainContext = {
      db: database.db,
      clock: env.io.clock,
      timezone: settings?.timezone ?? config.timezone,
      actor: options.skipSchemaCheck ? { kind: 'system' } : await resolveActor(database, config),
    };
    return { config, database, ctx };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function withSession<T>(
  env: CommandEnv,
  work: (session: Session) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const session = await openSession(env, options);
  try {
    // A refused action is audited here, after its transaction rolled back (src/domain/audit/denials.ts).
    return await auditingDenials(session.ctx, () => work(session), env.command ? { command: env.command } : {});
  } finally {
    await session.database.close();
  }
}
