import { systemActor } from '../domain/actor.js';
import { resumeSession } from '../domain/access/sign-in.js';
import { auditingDenials } from '../domain/audit/denials.js';
import { clinicTimezone } from '../domain/clinic/clinic-timezone.js';
import type { DomainContext } from '../domain/context.js';
import { loadConfig, type Config } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/db/database.js';
import { pendingMigrations } from '../infra/db/pending-migrations.js';
import { SERVICE_ROLE, STAFF_ROLE } from '../infra/db/row-security.js';
import type { RunCommand } from './command-groups.js';
import type { CommandEnv } from './io.js';
import { NotSignedInError, SchemaBehindError } from './report-error.js';
import { readSessionFile, thisMachine } from './staff-session-file.js';

export interface Session {
  config: Config;
  database: Database;
  ctx: DomainContext;
}

/**
 * Who a command acts as:
 * - `staff` (nearly every command): the member of staff signed in on this machine (`roshni login`, or
 *   ROSHNI_SESSION), as roshni_staff; the database itself checks the session. No session, no command.
 * - `signing-in`: `roshni login` itself, as roshni_staff with no one yet.
 * - `service`: `roshni start`, `serve` and the bots, as roshni_service, acting as the system.
 * - `owner`: `roshni db …`, backups and restores, with the connecting user's own rights (the tables'
 *   owner), acting as the system.
 */
export type Acting = 'staff' | 'signing-in' | 'service' | 'owner';

export interface SessionOptions {
  /** Skip the schema check (for `roshni db …` itself). */
  skipSchemaCheck?: boolean;
  acting?: Acting;
  /** `roshni staff password`: the one command a session whose password must change may run. */
  changesPassword?: boolean;
}

const ROLE_OF: Record<Acting, string | undefined> = {
  staff: STAFF_ROLE,
  'signing-in': STAFF_ROLE,
  service: SERVICE_ROLE,
  owner: undefined,
};

/**
 * The context of the member of staff signed in on this machine; refuses when there is none, and while
 * their password is one an admin gave them (an invitation or a reset), until they have chosen their own.
 */
export async function signedInStaff(
  database: Database,
  config: Config,
  ctx: DomainContext,
  options: { changesPassword?: boolean } = {},
): Promise<DomainContext> {
  const token = config.env.ROSHNI_SESSION ?? readSessionFile(config.home)?.token;
  if (!token) throw new NotSignedInError('Nobody is signed in on this machine: run `roshni login <username>` first.');
  const session = await resumeSession(database.db, token, thisMachine());
  if (!session) {
    throw new NotSignedInError('Your session has ended (signed out, idle too long, revoked, or begun on another computer or user): run `roshni login` again.');
  }
  if (session.mustChangePassword && !options.changesPassword) {
    throw new NotSignedInError(
      'Your password was given to you by an admin: choose your own first with `roshni staff password` (it asks for the one you were given, then a new one).',
    );
  }
  return { ...ctx, actor: session.actor, sessionToken: session.token };
}

/**
 * Opens the configured database and builds the domain context. The embedded database brings its
 * schema up to date by itself (a newcomer's first command just works); a PostgreSQL server is
 * migrated only on purpose, with `roshni db migrate`.
 */
export async function openSession(env: CommandEnv, options: SessionOptions = {}): Promise<Session> {
  const config = loadConfig(env.io.env);
  const acting = options.acting ?? 'staff';
  const database = await openDatabase(config, { role: ROLE_OF[acting], notice: (line) => void env.io.stderr.write(`${line}\n`) });
  try {
    if (!options.skipSchemaCheck && database.kind === 'postgres') {
      const pending = await pendingMigrations(database.db);
      if (pending.length) throw new SchemaBehindError(pending);
    }
    const timezone = options.skipSchemaCheck ? undefined : await clinicTimezone(database.db);
    const base: DomainContext = {
      db: database.db,
      clock: env.io.clock,
      timezone: timezone ?? config.timezone,
      actor: systemActor,
    };
    const ctx = acting === 'staff' ? await signedInStaff(database, config, base, { changesPassword: options.changesPassword }) : base;
    return { config, database, ctx };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function withSession<T>(env: CommandEnv, work: (session: Session) => Promise<T>, options: SessionOptions = {}): Promise<T> {
  const session = await openSession(env, options);
  try {
    // A refused action is audited here, after its transaction rolled back (src/domain/audit/denials.ts).
    return await auditingDenials(session.ctx, () => work(session), env.command ? { command: env.command } : {});
  } finally {
    await session.database.close();
  }
}

/** What a command's handler works with: its session (config, database, ctx) and how it was called. */
export type CommandSession = Session & { env: CommandEnv };

/**
 * A command's action that runs inside a session, e.g.
 * `.action(sessionAction(run, async ({ ctx, env }, ref: string) => { …; return 0; }))`.
 */
export function sessionAction<A extends unknown[]>(
  run: RunCommand,
  work: (session: CommandSession, ...args: A) => Promise<number>,
  options?: SessionOptions,
): (...args: A) => Promise<void> {
  return run((env, ...args: A) => withSession(env, (session) => work({ ...session, env }, ...args), options));
}
