import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { phoneValue } from '../cli/phone-options.js';
import { withSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';
import { runTerminalChatAs } from '../start/foreground-bots.js';

async function chat(env: CommandEnv, flags: { as?: string }): Promise<number> {
  const phone = flags.as;
  return withSession(env, async ({ ctx, config }) => {
    authorize(ctx.actor, 'chat.as');
    // Each run is its own conversation: it identifies afresh, so every run acting as a family is recorded (chat.as).
    // Signed-in staff at their own terminal, typing or piping a script: no flood to refuse (runTerminalChatAs).
    await runTerminalChatAs(ctx, config, {
      input: env.io.stdin,
      output: env.io.stdout,
      chatId: `terminal:${randomUUID()}`,
      operator: ctx.actor,
      ...(phone ? { senderPhone: phone } : {}),
    });
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
