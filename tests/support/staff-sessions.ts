import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { thisMachine } from '../../src/cli/staff-session-file.js';
import type { DB } from '../../src/infra/db/schema.js';

/**
 * A live session for a member of staff, made directly in the database by its owner (the tests' superuser):
 * what `roshni login` leaves behind, without scrypt's cost for every test. Tests of signing in itself use
 * `roshni login`. Give the token to the CLI as ROSHNI_SESSION.
 */
export async function sessionFor(db: Kysely<DB>, username: string): Promise<string> {
  const token = `rsh_${randomBytes(32).toString('hex')}`;
  const { rows } = await sql<{ id: number }>`
    INSERT INTO roshni_auth.sessions (token_hash, staff_user_id, machine)
    SELECT sha256(convert_to(${token}, 'UTF8')), u.id, ${thisMachine()} FROM staff_users u WHERE u.username = ${username}
    RETURNING id`.execute(db);
  if (!rows.length) throw new Error(`No staff user ${username} to sign in`);
  return token;
}

/** `as` → the CLI environment of that member of staff, signing each in once. */
export function staffEnvironments(db: Kysely<DB>, base: Record<string, string>) {
  const tokens = new Map<string, Promise<string>>();
  return async (as: string): Promise<Record<string, string>> => {
    if (!tokens.has(as)) tokens.set(as, sessionFor(db, as));
    return { ...base, ROSHNI_SESSION: await tokens.get(as)! };
  };
}
