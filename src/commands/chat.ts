import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { phoneValue } from '../cli/phone-options.js';
import { withSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';

async function chat(env: CommandEnv, flags: { as?: string }): Promise<number> {
  const phone = flags.as;
  return withSession(env, async ({ ctx, config }) => {
    authorize(ctx.actor, 'chat.as');
    const [{ ConversationEngine }, { runTerminalChat }, { engineDepsFor }, { NO_FLOOD_LIMIT }] = await Promise.all([
      import('../bot/engine/engine.js'),
      import('../bot/channels/terminal.js'),
      import('../bot/engine-deps.js'),
      import('../bot/engine/rate-limit.js'),
    ]);
    // Each run is its own conversation: it identifies afresh, so every run acting as a family is recorded (chat.as).
    // Signed-in staff at their own terminal, typing or piping a script: no flood to refuse.
    const engine = new ConversationEngine({ ...(await engineDepsFor(ctx, config)), operator: ctx.actor, rateLimit: NO_FLOOD_LIMIT });
    await runTerminalChat({ engine, input: env.io.stdin, output: env.io.stdout, chatId: `terminal:${randomUUID()}`, ...(phone ? { senderPhone: phone } : {}) });
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('chat')
    .description('Try the patient bot in the terminal (no token needed); /quit to leave')
    .option('--as <phone>', 'chat as the patient or guardian with this phone number', phoneValue)
    .action(run(chat));
}
