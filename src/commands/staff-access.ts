import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, table } from '../cli/output.js';
import { readPassword } from '../cli/password-input.js';
import { sessionAction, withSession } from '../cli/session.js';
import { changeOwnPassword, setStaffPassword } from '../domain/access/staff-passwords.js';
import { listStaffSessions, revokeStaffSessions } from '../domain/access/staff-sessions.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatFriendly } from '../domain/time.js';

// `roshni staff password | sessions | revoke`: the sign-in side of staff (registered by staff.ts).

export function registerStaffAccess(staff: Command, run: RunCommand): void {
  staff
    .command('password')
    .argument('[username]', "someone else's username (admins: sets a password they must change)")
    .option('--password-stdin', 'read the passwords from standard input, one a line: current then new (own), or new (for someone else)')
    .description("Change your own password, or (admins) set a member of staff's")
    .action(
      run(
        async (env, username: string | undefined, flags: { passwordStdin?: boolean }) =>
          withSession(
            env,
            async ({ ctx }) => {
              const fromStdin = flags.passwordStdin;
              if (username) {
                const password = await readPassword(env, { fromStdin, message: `New password for ${username}`, confirm: true });
                await setStaffPassword(ctx, { username, password });
                emit(env, { username, passwordSet: true }, () => `Password set for ${username}; every session of theirs is ended.`);
                return 0;
              }
              const currentPassword = await readPassword(env, { fromStdin, message: 'Your current password' });
              const newPassword = await readPassword(env, { fromStdin, message: 'Your new password', confirm: true });
              await changeOwnPassword(ctx, { currentPassword, newPassword });
              emit(env, { passwordChanged: true }, () => 'Password changed; your sessions on other computers are ended.');
              return 0;
            },
            { changesPassword: !username },
          ), // one's own: what a password an admin gave is good for
      ),
    );

  staff
    .command('sessions')
    .description('Who is signed in where (admins: everyone; others: their own)')
    .action(
      sessionAction(run, async ({ ctx, env }) => {
        const sessions = await listStaffSessions(ctx);
        const when = (at: Date) => formatFriendly(at, ctx.timezone);
        emit(env, sessions, () =>
          table(
            ['Session', 'Username', 'Role', 'Where', 'Signed in', 'Last used', 'Ends if idle at'],
            sessions.map((s) => [
              `${s.id}${s.current ? ' (this one)' : ''}`,
              s.username,
              s.role,
              s.machine,
              when(s.startedAt),
              when(s.lastSeenAt),
              when(s.idleUntil),
            ]),
          ),
        );
        return 0;
      }),
    );

  staff
    .command('revoke')
    .argument('[session]', 'a session number from `roshni staff sessions`')
    .option('--user <username>', 'end every session of this member of staff instead')
    .description("End a session, or all of someone's sessions (admins)")
    .action(
      sessionAction(run, async ({ ctx, env }, session: string | undefined, flags: { user?: string }) => {
        if (session !== undefined && !/^\d+$/.test(session)) throw new InvalidInputError('session: must be a session number');
        const ended = await revokeStaffSessions(ctx, {
          ...(session !== undefined ? { sessionId: Number(session) } : {}),
          ...(flags.user !== undefined ? { username: flags.user } : {}),
        });
        emit(env, { ended }, () => `Ended ${ended} session(s).`);
        return 0;
      }),
    );
}
