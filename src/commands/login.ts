import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { emit } from '../cli/output.js';
import { readPassword } from '../cli/password-input.js';
import { requireFlag } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { readSessionFile, removeSessionFile, thisMachine, writeSessionFile } from '../cli/staff-session-file.js';
import { signIn, signOut } from '../domain/access/sign-in.js';
import { changeOwnPassword } from '../domain/access/staff-passwords.js';
import { loadConfig } from '../infra/config.js';
import { openDatabase } from '../infra/db/database.js';
import { STAFF_ROLE } from '../infra/db/row-security.js';

interface LoginFlags {
  passwordStdin?: boolean;
  printToken?: boolean;
}

async function login(env: CommandEnv, username: string | undefined, flags: LoginFlags): Promise<number> {
  const name = await requireFlag(env, username, '<username>', { message: 'Staff username' });
  const password = await readPassword(env, { fromStdin: flags.passwordStdin, message: 'Password' });
  return withSession(
    env,
    async ({ config, database, ctx }) => {
      const session = await signIn(database.db, { username: name, password, machine: thisMachine() });
      const file = flags.printToken ? undefined : writeSessionFile(config.home, { username: session.username, token: session.token });
      if (flags.printToken) {
        env.io.stdout.write(`${session.token}\n`);
        return 0;
      }
      // A password an admin gave (an invitation, a reset) opens nothing else: on a terminal, choose one now.
      let mustChangePassword = session.mustChangePassword;
      if (mustChangePassword && env.interactive && !flags.passwordStdin) {
        writeLine(env.io.stdout, 'Your password was given to you by an admin: choose your own now.');
        const newPassword = await readPassword(env, { message: 'Your new password', confirm: true });
        await changeOwnPassword({ ...ctx, actor: session.actor, sessionToken: session.token }, { currentPassword: password, newPassword });
        mustChangePassword = false;
      }
      emit(env, { username: session.username, role: session.actor.role, file, mustChangePassword }, () => [
        `Signed in as ${session.username} (${session.actor.role}) on this computer.`,
        ...(mustChangePassword
          ? ['An admin gave you this password: choose your own with `roshni staff password` before anything else (other commands are refused until then).']
          : []),
      ]);
      return 0;
    },
    { acting: 'signing-in' },
  );
}

async function logout(env: CommandEnv): Promise<number> {
  const config = loadConfig(env.io.env);
  const saved = readSessionFile(config.home);
  let ended = false;
  if (saved) {
    const database = await openDatabase(config, { role: STAFF_ROLE });
    try {
      ended = await signOut(database.db, saved.token);
    } finally {
      await database.close();
    }
  }
  removeSessionFile(config.home);
  emit(env, { signedOut: ended }, () => (saved ? 'Signed out: the session is ended.' : 'Nobody was signed in on this computer.'));
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('login')
    .argument('[username]', 'your staff username')
    .option('--password-stdin', 'read the password from standard input (scripts)')
    .option('--print-token', 'print the session token (for ROSHNI_SESSION) instead of keeping it in ROSHNI_HOME')
    .description('Sign in as a member of staff on this computer (asks for the password)')
    .action(run(login));
  program.command('logout').description('End the session of `roshni login` on this computer').action(run(logout));
}
