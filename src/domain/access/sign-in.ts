import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { DB, StaffRole } from '../../infra/db/schema.js';
import type { Actor } from '../actor.js';
import { ForbiddenError, parseInput } from '../errors.js';
import { staffUsername } from '../people/staff-username.js';
import { stretchPassword } from './passwords.js';

// Signing in and out (migration 0017 keeps the secrets; these only talk to its functions). A session is
// a random token the database knows by its hash; whoever presents it acts as its member of staff until
// they sign out, an admin revokes it, their password changes, or the clinic's idle time passes.

export type StaffActor = Extract<Actor, { kind: 'staff' }>;

export interface StaffSession {
  token: string;
  actor: StaffActor;
  username: string;
  /** An admin set this password: the member of staff should choose their own now. */
  mustChangePassword: boolean;
}

export class SignInThrottledError extends ForbiddenError {
  constructor(readonly retryAfterSeconds: number) {
    const wait = retryAfterSeconds < 90 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
    super(`Too many failed sign-ins for this username: try again in ${wait}.`, { retryAfterSeconds });
  }
}

const signInInput = z.object({
  username: staffUsername,
  password: z.string().min(1, 'is required'),
  machine: z.string().min(1),
});

async function staffActor(db: Kysely<DB>, staffUserId: number, role: StaffRole): Promise<{ actor: StaffActor; username: string }> {
  const row = await db
    .selectFrom('staff_users as u')
    .leftJoin('therapists as t', 't.staff_user_id', 'u.id')
    .select(['u.username', 't.id as therapist_id'])
    .where('u.id', '=', staffUserId)
    .executeTakeFirstOrThrow();
  return { actor: { kind: 'staff', staffUserId, role, therapistId: row.therapist_id }, username: row.username };
}

/** Exchanges a username and password for a new session. Wrong ones are counted and slowed down by the database. */
export async function signIn(db: Kysely<DB>, raw: { username: string; password: string; machine: string }): Promise<StaffSession> {
  const input = parseInput(signInInput, raw);
  const { rows: challenge } = await sql<{ scheme: string; salt: Buffer }>`
    SELECT scheme, salt FROM roshni_auth.sign_in_challenge(${input.username})`.execute(db);
  const proof = await stretchPassword(input.password, challenge[0]!.scheme, challenge[0]!.salt);
  const { rows } = await sql<{
    outcome: 'ok' | 'refused' | 'throttled';
    token: string | null;
    retry_after_seconds: number | null;
    staff_user_id: number | null;
    role: StaffRole | null;
    must_change: boolean | null;
  }>`SELECT * FROM roshni_auth.sign_in(${input.username}, ${proof}, ${input.machine})`.execute(db);
  const answer = rows[0]!;
  if (answer.outcome === 'throttled') throw new SignInThrottledError(answer.retry_after_seconds ?? 60);
  if (answer.outcome !== 'ok') throw new ForbiddenError('Wrong username or password.');
  const { actor, username } = await staffActor(db, answer.staff_user_id!, answer.role!);
  return { token: answer.token!, actor, username, mustChangePassword: answer.must_change ?? false };
}

/** The member of staff a session token acts for, from this machine; undefined when it opens nothing. */
export async function resumeSession(db: Kysely<DB>, token: string, machine: string): Promise<StaffSession | undefined> {
  const { rows } = await sql<{ staff_user_id: number; role: StaffRole; must_change: boolean; username: string; therapist_id: number | null }>`
    SELECT staff_user_id, role, must_change, username, therapist_id FROM roshni_auth.resume(${token}, ${machine})`.execute(db);
  const live = rows[0];
  if (!live) return undefined;
  const actor: StaffActor = { kind: 'staff', staffUserId: live.staff_user_id, role: live.role, therapistId: live.therapist_id };
  return { token, actor, username: live.username, mustChangePassword: live.must_change };
}

/** Ends a session (logout). Whether it was live. */
export async function signOut(db: Kysely<DB>, token: string): Promise<boolean> {
  const { rows } = await sql<{ ended: boolean }>`SELECT roshni_auth.sign_out(${token}) AS ended`.execute(db);
  return rows[0]!.ended;
}
