import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { emailAddress, personName } from './contact-details.js';
import { messagingPhone } from './phone.js';
import { staffUsername } from './staff-username.js';

export const staffRole = z.enum(['admin', 'receptionist', 'therapist'], {
  error: 'must be one of admin, receptionist, therapist',
});

export const staffUserInput = z.object({
  username: staffUsername,
  fullName: personName,
  role: staffRole,
  phone: messagingPhone.optional(),
  email: emailAddress.optional(),
});
export type StaffUserInput = z.input<typeof staffUserInput>;

export async function addStaffUser(ctx: DomainContext, raw: StaffUserInput) {
  authorize(ctx.actor, 'staff.manage');
  const input = parseInput(staffUserInput, raw);
  return inTransaction(ctx, async (tx) => {
    const user = await tx.db
      .insertInto('staff_users')
      .values({
        username: input.username,
        full_name: input.fullName,
        role: input.role,
        phone: input.phone ?? null,
        email: input.email ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          staff_users_username_key: () => new ConflictError(`The username ${input.username} is already taken.`),
        }),
      );
    await recordAudit(tx, { action: 'staff.add', entity: 'staff_user', entityId: user.id, after: { role: user.role } });
    return user;
  });
}

export async function findStaffUserByUsername(ctx: DomainContext, username: string) {
  return ctx.db.selectFrom('staff_users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
}

export async function listStaffUsers(ctx: DomainContext, options: { includeInactive?: boolean } = {}) {
  authorize(ctx.actor, 'staff.read');
  return ctx.db
    .selectFrom('staff_users as u')
    .leftJoin('therapists as t', 't.staff_user_id', 'u.id')
    .select(['u.id', 'u.username', 'u.full_name', 'u.role', 'u.phone', 'u.email', 'u.active', 't.id as therapist_id'])
    .$if(!options.includeInactive, (qb) => qb.where('u.active', '=', true))
    .orderBy('u.active', 'desc')
    .orderBy('u.username')
    .execute();
}

export async function requireStaffUserByUsername(ctx: DomainContext, username: string) {
  const user = await findStaffUserByUsername(ctx, username.trim());
  if (!user) throw new NotFoundError(`No staff user with username ${username.trim().toLowerCase()}.`);
  return user;
}

/** Stops a staff user from acting (their sessions end at once, migration 0017); the clinic always keeps one active admin. */
export async function deactivateStaffUser(ctx: DomainContext, raw: { username: string }) {
  authorize(ctx.actor, 'staff.manage');
  const { username } = parseInput(z.object({ username: z.string().trim().toLowerCase().min(1, 'is required') }), raw);
  return inTransaction(ctx, async (tx) => {
    const user = await requireStaffUserByUsername(tx, username);
    // Admins are locked together, in id order, so that two admins deactivating each other cannot both succeed.
    const locked = await tx.db
      .selectFrom('staff_users')
      .select(['id', 'active'])
      .where((eb) =>
        user.role === 'admin' ? eb.or([eb('id', '=', user.id), eb.and([eb('role', '=', 'admin'), eb('active', '=', true)])]) : eb('id', '=', user.id),
      )
      .orderBy('id')
      .forUpdate()
      .execute();
    if (!locked.find((row) => row.id === user.id)!.active) return { user, deactivated: false };
    if (user.role === 'admin' && !locked.some((row) => row.id !== user.id && row.active)) {
      throw new ConflictError(`${user.username} is the last active admin; add another admin before deactivating them.`);
    }
    const updated = await tx.db.updateTable('staff_users').set({ active: false }).where('id', '=', user.id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(tx, {
      action: 'staff.deactivate',
      entity: 'staff_user',
      entityId: user.id,
      before: { active: true },
      after: { active: false },
      meta: { role: user.role },
    });
    return { user: updated, deactivated: true };
  });
}
