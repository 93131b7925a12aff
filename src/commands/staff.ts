import type { Command } from 'commander';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { dim, emit, table } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { addStaffUser, deactivateStaffUser, listStaffUsers, staffUserInput, type StaffUserInput } from '../domain/people/staff.js';
import { authorize } from '../domain/policy.js';
import { registerStaffAccess } from './staff-access.js';

interface StaffRow {
  id: number;
  username: string;
  full_name: string;
  role: string;
  phone: string | null;
  email: string | null;
  active: boolean;
  therapist_id?: number | null;
}

const staffJson = (u: StaffRow) => ({
  id: u.id,
  username: u.username,
  fullName: u.full_name,
  role: u.role,
  phone: u.phone,
  email: u.email,
  active: u.active,
  ...(u.therapist_id !== undefined ? { therapistId: u.therapist_id } : {}),
});

interface AddFlags {
  username?: string;
  name?: string;
  role?: string;
  phone?: string;
  email?: string;
}

export function register(program: Command, run: RunCommand): void {
  const staff = program.command('staff').description('Staff users and their roles: admin, receptionist, therapist');

  staff
    .command('add')
    .description('Add a staff user (prompts on a terminal for what is missing)')
    .option('--username <username>', 'what they sign in with, e.g. priya.slp')
    .option('--name <name>', 'full name')
    .option('--role <role>', 'admin, receptionist or therapist')
    .option('--phone <phone>', 'phone number (+91 assumed)')
    .option('--email <email>', 'email address')
    .action(
      run(async (env, flags: AddFlags) =>
        withSession(env, async ({ ctx }) => {
          authorize(ctx.actor, 'staff.manage'); // before any question is asked
          const shape = staffUserInput.shape;
          const username = await requireFlag(env, flags.username, '--username', {
            message: 'Username',
            placeholder: 'priya.slp',
            schema: shape.username,
          });
          const fullName = await requireFlag(env, flags.name, '--name', { message: 'Full name', schema: shape.fullName });
          const role = await requireFlag(env, flags.role, '--role', {
            message: 'Role',
            placeholder: 'admin, receptionist or therapist',
            schema: shape.role,
          });
          // Asked for the username, so asked for the optional details too.
          const asked = env.interactive && !flags.username;
          const phone = flags.phone ?? (asked ? await askText({ message: 'Phone', optional: true, schema: shape.phone }) : undefined);
          const email = flags.email ?? (asked ? await askText({ message: 'Email', optional: true, schema: shape.email }) : undefined);
          const user = await addStaffUser(ctx, { username, fullName, role: role as StaffUserInput['role'], phone, email });
          emit(env, staffJson(user), () => `Added ${user.role} ${user.username} (${user.full_name}).`);
          return 0;
        }),
      ),
    );

  staff
    .command('list')
    .description('List staff users')
    .option('--all', 'include deactivated staff users')
    .action(
      run(async (env, flags: { all?: boolean }) =>
        withSession(env, async ({ ctx }) => {
          const users = await listStaffUsers(ctx, { includeInactive: Boolean(flags.all) });
          emit(env, users.map(staffJson), () =>
            users.length
              ? table(
                  ['Username', 'Name', 'Role', 'Phone', 'Email', ''],
                  users.map((u) => [u.username, u.full_name, u.role, u.phone ?? '', u.email ?? '', u.active ? '' : dim(env, 'deactivated')]),
                )
              : 'No staff users yet; add one with `roshni staff add`.',
          );
          return 0;
        }),
      ),
    );

  staff
    .command('deactivate')
    .description('Stop a staff user from acting (the last active admin cannot be deactivated)')
    .argument('<username>', 'their username')
    .action(
      run(async (env, username: string) =>
        withSession(env, async ({ ctx }) => {
          const { user, deactivated } = await deactivateStaffUser(ctx, { username });
          emit(env, { ...staffJson(user), deactivated }, () =>
            deactivated ? `Deactivated ${user.username} (${user.full_name}).` : `${user.username} was already deactivated.`,
          );
          return 0;
        }),
      ),
    );

  registerStaffAccess(staff, run);
}
