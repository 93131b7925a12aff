import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DomainContext } from '../context.js';
import { ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';
import { addStaffUser, requireStaffUserByUsername, staffUserInput, type StaffUserInput } from '../people/staff.js';
import { temporaryPassword } from './temporary-password.js';
import { newPasswordRecord, password, stretchPassword, type PasswordRecord } from './passwords.js';

// Setting passwords. The database decides who may (migration 0017, roshni_auth.set_password): one's own
// with the current password, anyone's by an admin (then marked to be changed by its owner), and the first
// admin's while the clinic has no admin with a password. Every other session of that person ends.

type Outcome = 'ok' | 'no such staff user' | 'not signed in' | 'wrong current password' | 'not an admin';

/** Asks the database to store a password record (inside the caller's transaction); what it answered. */
async function storePassword(tx: DomainContext, targetId: number, currentProof: Buffer | null, record: PasswordRecord, reset: boolean) {
  const { rows } = await sql<{ outcome: Outcome }>`
    SELECT roshni_auth.set_password(${targetId}, ${currentProof}, ${record.scheme}, ${record.salt}, ${record.verifier},
                                    ${reset}) AS outcome`.execute(tx.db);
  return rows[0]!.outcome;
}

async function setPassword(ctx: DomainContext, username: string, newPassword: string, options: { currentPassword?: string; reset: boolean }): Promise<void> {
  const target = await requireStaffUserByUsername(ctx, username);
  if (!target.active) throw new NotFoundError(`${target.username} is deactivated.`);
  const record = await newPasswordRecord(newPassword);
  let currentProof: Buffer | null = null;
  if (options.currentPassword !== undefined) {
    const { rows } = await sql<{ scheme: string; salt: Buffer }>`
      SELECT scheme, salt FROM roshni_auth.sign_in_challenge(${target.username})`.execute(ctx.db);
    currentProof = await stretchPassword(options.currentPassword, rows[0]!.scheme, rows[0]!.salt);
  }
  // Answered after the commit, so that a refusal the database audited stays audited.
  const outcome = await inTransaction(ctx, (tx) => storePassword(tx, target.id, currentProof, record, options.reset));
  throwUnlessStored(outcome, target.username);
}

function throwUnlessStored(outcome: Outcome, username: string): void {
  switch (outcome) {
    case 'ok':
      return;
    case 'no such staff user':
      throw new NotFoundError(`No active staff user with username ${username}.`);
    case 'wrong current password':
      throw new ForbiddenError('The current password is wrong: nothing was changed.');
    case 'not an admin':
      throw new ForbiddenError("Only an admin may set another member of staff's password.", { action: 'staff.manage' });
    case 'not signed in':
      throw new ForbiddenError('Sign in first (roshni login).');
  }
}

const ownChange = z.object({ currentPassword: z.string().min(1, 'is required'), newPassword: password });

/** A member of staff changes their own password, proving the current one. */
export async function changeOwnPassword(ctx: DomainContext, raw: { currentPassword: string; newPassword: string }) {
  if (ctx.actor.kind !== 'staff') throw new ForbiddenError('Sign in first (roshni login).');
  const input = parseInput(ownChange, raw);
  if (input.currentPassword === input.newPassword) throw new InvalidInputError('newPassword: must differ from the current one');
  const me = await ctx.db.selectFrom('staff_users').select('username').where('id', '=', ctx.actor.staffUserId).executeTakeFirstOrThrow();
  await setPassword(ctx, me.username, input.newPassword, { currentPassword: input.currentPassword, reset: false });
}

/**
 * An admin sets someone's password (a new member of staff, or a forgotten one): its owner is asked to
 * choose their own at the next sign-in. With no admin password yet (a new clinic), this is how the first
 * admin's is set.
 */
export async function setStaffPassword(ctx: DomainContext, raw: { username: string; password: string }) {
  const input = parseInput(z.object({ username: z.string().trim().min(1, 'is required'), password }), raw);
  const self = ctx.actor.kind === 'staff' && (await requireStaffUserByUsername(ctx, input.username)).id === ctx.actor.staffUserId;
  await setPassword(ctx, input.username, input.password, { reset: !self && ctx.actor.kind === 'staff' });
}

/** How a new member of staff will sign in: a password the admin gives now, or an invitation. */
export type FirstPassword = { password: string } | { invite: true };

/**
 * An admin adds a member of staff together with their password, in one transaction: either the password
 * given (which they sign in with), or, with an invitation, a temporary password returned once, which
 * opens nothing until they have chosen their own at the first sign-in.
 */
export async function addStaffUserWithPassword(ctx: DomainContext, raw: StaffUserInput, first: FirstPassword) {
  authorize(ctx.actor, 'staff.manage');
  const input = parseInput(staffUserInput, raw);
  const invited = 'invite' in first;
  const plain = invited ? temporaryPassword() : parseInput(z.object({ password }), { password: first.password }).password;
  const record = await newPasswordRecord(plain); // scrypt's work is done before the transaction begins
  const user = await inTransaction(ctx, async (tx) => {
    const added = await addStaffUser(tx, input);
    throwUnlessStored(await storePassword(tx, added.id, null, record, invited), added.username);
    return added;
  });
  return { user, ...(invited ? { temporaryPassword: plain } : {}) };
}
