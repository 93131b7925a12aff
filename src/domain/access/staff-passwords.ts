import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DomainContext } from '../context.js';
import { ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { requireStaffUserByUsername } from '../people/staff.js';
import { newPasswordRecord, password, stretchPassword } from './passwords.js';

// Setting passwords. The database decides who may (migration 0017, roshni_auth.set_password): one's own
// with the current password, anyone's by an admin (then marked to be changed by its owner), and the first
// admin's while the clinic has no admin with a password. Every other session of that person ends.

type Outcome = 'ok' | 'no such staff user' | 'not signed in' | 'wrong current password' | 'not an admin';

async function setPassword(
  ctx: DomainContext,
  username: string,
  newPassword: string,
  options: { currentPassword?: string; reset: boolean },
): Promise<void> {
  const target = await requireStaffUserByUsername(ctx, username);
  if (!target.active) throw new NotFoundError(`${target.username} is deactivated.`);
  const record = await newPasswordRecord(newPassword);
  let currentProof: Buffer | null = null;
  if (options.currentPassword !== undefined) {
    const { rows } = await sql<{ scheme: string; salt: Buffer }>`
      SELECT scheme, salt FROM roshni_auth.sign_in_challenge(${target.username})`.execute(ctx.db);
    currentProof = await stretchPassword(options.currentPassword, rows[0]!.scheme, rows[0]!.salt);
  }
  const outcome = await inTransaction(ctx, async (tx) => {
    const { rows } = await sql<{ outcome: Outcome }>`
      SELECT roshni_auth.set_password(${target.id}, ${currentProof}, ${record.scheme}, ${record.salt}, ${record.verifier},
                                      ${options.reset}) AS outcome`.execute(tx.db);
    return rows[0]!.outcome;
  });
  switch (outcome) {
    case 'ok':
      return;
    case 'no such staff user':
      throw new NotFoundError(`No active staff user with username ${target.username}.`);
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
