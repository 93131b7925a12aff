import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { writeLine } from '../cli/io.js';
import { withSession } from '../cli/session.js';
import { untilStopSignal } from '../cli/stop-signal.js';
import { startTelegramForeground, startWhatsAppForeground } from '../start/foreground-bots.js';

const log = (env: CommandEnv) => (event: string, fields: Record<string, unknown>) => writeLine(env.io.stderr, JSON.stringify({ event, ...fields }));

async function telegram(env: CommandEnv): Promise<number> {
  return withSession(
    env,
    async ({ ctx, config }) => {
      const running = await startTelegramForeground(ctx, config, log(env));
      writeLine(env.io.stdout, 'Telegram bot running (long polling). Ctrl-C to stop.');
      await untilStopSignal();
      await running.stop();
      return 0;
    },
    { acting: 'service' },
  );
}

async function whatsapp(env: CommandEnv): Promise<number> {
  return withSession(
    env,
    async ({ ctx, config }) => {
      const running = await startWhatsAppForeground(ctx, config, log(env), (line) => writeLine(env.io.stdout, line));
      await untilStopSignal();
      await running.stop();
      return 0;
    },
    { acting: 'service' },
  );
}

export function register(program: Command, run: RunCommand): void {
  const bot = program.command('bot').description('Run one patient bot channel in the foreground');
  bot.command('telegram').description('The Telegram bot (TELEGRAM_BOT_TOKEN), long polling').action(run(telegram));
  bot.command('whatsapp').description('The WhatsApp bot (whatsapp-web.js; scan the QR on first run)').action(run(whatsapp));
}
