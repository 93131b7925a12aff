import type { Command } from 'commander';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { dim, emit, tableOr } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { sessionAction } from '../cli/session.js';
import { deactivateStaffUser, listStaffUsers, staffUserInput, type StaffUserInput } from '../domain/people/staff.js';
import { addStaffUserWithPassword, type FirstPassword } from '../domain/access/staff-passwords.js';
import { InvalidInputError } from '../domain/errors.js';
import { authorize } from '../domain/policy.js';
import type { CommandEnv } from '../cli/io.js';
import { readPassword } from '../cli/password-input.js';
import { requireStaffNames } from '../cli/staff-name-prompts.js';
import { registerStaffAccess } from './staff-access.js';
import { mobilePhoneValue } from '../cli/phone-options.js';

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
  passwordStdin?: boolean;
  invite?: boolean;
}

/** How the new member of staff will sign in, settled before anything is asked or written. */
function firstPasswordMode(env: CommandEnv, flags: AddFlags): 'stdin' | 'invite' | 'ask' {
  if (flags.invite && flags.passwordStdin) throw new InvalidInputError('Give either --invite or --password-stdin, not both.');
  if (flags.invite) return 'invite';
  if (flags.passwordStdin) return 'stdin';
  if (!env.interactive) {
    throw new InvalidInputError(
      'How will they sign in? Give --invite (a temporary password, shown once, that they must change) or --password-stdin (their password on standard input); nothing was added.',
    );
  }
  return 'ask';
}

export function register(program: Command, run: RunCommand): void {
  const staff = program.command('staff').description('Staff users and their roles: admin, receptionist, therapist');

  staff
    .command('add')
    .description('Add a staff user with a password, or --invite them (prompts on a terminal for what is missing)')
    .option('--username <username>', 'what they sign in with, e.g. priya.slp')
    .option('--name <name>', 'full name')
    .option('--role <role>', 'admin, receptionist or therapist')
    .option('--phone <phone>', 'phone number (+91 assumed)', mobilePhoneValue)
    .option('--email <email>', 'email address')
    .option('--password-stdin', 'read their password from standard input (on a terminal it is asked for, hidden)')
    .option('--invite', 'instead, make a temporary password, shown once, that they must change at their first sign-in')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: AddFlags) => {
        authorize(ctx.actor, 'staff.manage'); // before any question is asked
        const mode = firstPasswordMode(env, flags);
        const { username, fullName } = await requireStaffNames(env, {
          username: { value: flags.username, flag: '--username', message: 'Username', placeholder: 'priya.slp' },
          fullName: { value: flags.name, flag: '--name', message: 'Full name' },
        });
        const shape = staffUserInput.shape;
        const role = await requireFlag(env, flags.role, '--role', {
          message: 'Role',
          placeholder: 'admin, receptionist or therapist',
          schema: shape.role,
        });
        // Asked for the username, so asked for the optional details too.
        const asked = env.interactive && !flags.username;
        const phone = flags.phone ?? (asked ? await askText({ message: 'Phone', optional: true, schema: shape.phone }) : undefined);
        const email = flags.email ?? (asked ? await askText({ message: 'Email', optional: true, schema: shape.email }) : undefined);
        const first: FirstPassword =
          mode === 'invite'
            ? { invite: true }
            : { password: await readPassword(env, { fromStdin: mode === 'stdin', message: `A password for ${username}`, confirm: true }) };
        const input = { username, fullName, role: role as StaffUserInput['role'], phone, email };
        const { user, temporaryPassword } = await addStaffUserWithPassword(ctx, input, first);
        emit(env, { ...staffJson(user), ...(temporaryPassword ? { temporaryPassword, mustChangePassword: true } : {}) }, () => [
          `Added ${user.role} ${user.username} (${user.full_name}).`,
          ...(temporaryPassword
            ? [
                `Temporary password (shown only now): ${temporaryPassword}`,
                `Give it to them in person. They sign in with \`roshni login ${user.username}\` and must choose their own before anything else.`,
              ]
            : [`They sign in with \`roshni login ${user.username}\`.`]),
        ]);
        return 0;
      }),
    );

  staff
    .command('list')
    .description('List staff users')
    .option('--all', 'include deactivated staff users')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { all?: boolean }) => {
        const users = await listStaffUsers(ctx, { includeInactive: Boolean(flags.all) });
        emit(env, users.map(staffJson), () =>
          tableOr(
            ['Username', 'Name', 'Role', 'Phone', 'Email', ''],
            users.map((u) => [u.username, u.full_name, u.role, u.phone ?? '', u.email ?? '', u.active ? '' : dim(env, 'deactivated')]),
            'No staff users yet; add one with `roshni staff add`.',
          ),
        );
        return 0;
      }),
    );

  staff
    .command('deactivate')
    .description('Stop a staff user from acting (the last active admin cannot be deactivated)')
    .argument('<username>', 'their username')
    .action(
      sessionAction(run, async ({ ctx, env }, username: string) => {
        const { user, deactivated } = await deactivateStaffUser(ctx, { username });
        emit(env, { ...staffJson(user), deactivated }, () =>
          deactivated ? `Deactivated ${user.username} (${user.full_name}).` : `${user.username} was already deactivated.`,
        );
        return 0;
      }),
    );

  registerStaffAccess(staff, run);
}
