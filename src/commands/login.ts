import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { removeLogin, writeLogin } from '../cli/local-login.js';
import { emit } from '../cli/output.js';
import { requireFlag } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { NotFoundError } from '../domain/errors.js';
import { loadConfig } from '../infra/config.js';

async function login(env: CommandEnv, username: string | undefined): Promise<number> {
  const name = await requireFlag(env, username, '<username>', { message: 'Staff username' });
  return withSession(env, async ({ config, ctx }) => {
    const user = await ctx.db.selectFrom('staff_users').select(['username', 'role', 'active']).where('username', '=', name).executeTakeFirst();
    if (!user || !user.active) throw new NotFoundError(`No active staff user is called "${name}".`);
    const file = writeLogin(config.home, user.username, ctx.clock.now());
    emit(env, { username: user.username, role: user.role, file }, () =>
      `Logged in as ${user.username} (${user.role}) on this machine.${config.env.ROSHNI_USER ? ` Note: ROSHNI_USER=${config.env.ROSHNI_USER} is set and wins.` : ''}`,
    );
    return 0;
  });
}

async function logout(env: CommandEnv): Promise<number> {
  const config = loadConfig(env.io.env);
  removeLogin(config.home);
  emit(env, { loggedOut: true }, () => 'Logged out: commands act as ROSHNI_USER, or as the system user when it is unset.');
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  program.command('login').argument('[username]', 'a staff username').description('Act as a staff user on this machine (a session file under ROSHNI_HOME)').action(run(login));
  program.command('logout').description('Forget the staff user of `roshni login`').action(run(logout));
}
