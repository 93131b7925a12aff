import type { Kysely } from 'kysely';
import { addStaffUser } from '../../src/domain/people/staff.js';
import type { Clock } from '../../src/infra/clock.js';
import type { DB } from '../../src/infra/db/schema.js';
import { runCli, type CliResult } from './cli.js';
import { systemContext } from './clinic.js';
import { staffEnvironments } from './staff-sessions.js';

/** The admin of the billing and reports test clinics: who used to be "the system" at the CLI. */
export const ADMIN = 'anita.admin';

/** Adds the clinic's admin (as `roshni init` would), unless the test clinic has one by that name already. */
export async function addClinicAdmin(db: Kysely<DB>): Promise<void> {
  const existing = await db.selectFrom('staff_users').select('id').where('username', '=', ADMIN).executeTakeFirst();
  if (!existing) await addStaffUser(systemContext(db), { username: ADMIN, fullName: 'Anita Rao', role: 'admin' });
}

/**
 * The CLI, signed in: `roshni(argv, env, as, input)` runs with `env` and the session of `as` (the admin unless
 * named), each member of staff signed in once (a session made by the database's owner); `input` is standard input.
 * With `clock`, the CLI runs on that clock (the test's), not the machine's.
 */
export function signedInCli(db: Kysely<DB>, options: { clock?: Clock } = {}) {
  const sessions = staffEnvironments(db, {});
  const signedIn = async (env: Record<string, string>, as: string = ADMIN): Promise<Record<string, string>> => ({ ...env, ...(await sessions(as)) });
  const roshni = async (argv: string[], env: Record<string, string>, as: string = ADMIN, input?: string): Promise<CliResult> =>
    runCli(argv, await signedIn(env, as), { ...(input === undefined ? {} : { input }), ...(options.clock ? { clock: options.clock } : {}) });
  return { roshni, signedIn };
}
