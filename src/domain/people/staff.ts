import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { phoneNumber } from './phone.js';

export const staffRole = z.enum(['admin', 'receptionist', 'therapist'], {
  error: 'must be one of admin, receptionist, therapist',
});

export const staffUserInput = z.object({
  username: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9._-]{1,31}$/, 'must be 2–32 lowercase letters, digits, dots, dashes or underscores'),
  fullName: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  role: staffRole,
  phone: phoneNumber.optional(),
  email: z.email('must be an email address').optional(),
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
