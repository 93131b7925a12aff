import type { Actor } from '../domain/actor.js';
import type { DomainContext } from '../domain/context.js';
import { ConfigError, type Config } from '../infra/config.js';

// One patient bot run in the foreground by a command (`roshni bot telegram|whatsapp`, `roshni chat`,
// `roshni serve` with a Telegram webhook). The SDKs load only when their bot starts.

type Log = (event: string, fields: Record<string, unknown>) => void;

export interface Stoppable {
  stop(): Promise<void>;
}

/** The Telegram bot by long polling (TELEGRAM_BOT_TOKEN). */
export async function startTelegramForeground(ctx: DomainContext, config: Config, log: Log): Promise<Stoppable> {
  const token = config.env.TELEGRAM_BOT_TOKEN;
  if (!token) throw new ConfigError('TELEGRAM_BOT_TOKEN', 'is missing (ask @BotFather for one)');
  const [{ startTelegramBot }, { engineDepsFor }] = await Promise.all([import('../bot/channels/telegram.js'), import('../bot/engine-deps.js')]);
  return startTelegramBot({ token, ...(config.env.TELEGRAM_API_ROOT ? { apiRoot: config.env.TELEGRAM_API_ROOT } : {}) }, await engineDepsFor(ctx, config, log));
}

/** The WhatsApp bot (whatsapp-web.js); `print` shows the QR to scan on first run. */
export async function startWhatsAppForeground(ctx: DomainContext, config: Config, log: Log, print: (line: string) => void): Promise<Stoppable> {
  const [{ startWhatsAppBot }, { engineDepsFor }] = await Promise.all([import('../bot/channels/whatsapp.js'), import('../bot/engine-deps.js')]);
  return startWhatsAppBot(config, await engineDepsFor(ctx, config, log), print);
}

/** The Telegram bot in webhook mode, when TELEGRAM_WEBHOOK_URL is set (it needs the token and the secret). */
export async function telegramWebhookOf(ctx: DomainContext, config: Config, log: Log) {
  const { TELEGRAM_BOT_TOKEN: token, TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_SECRET: secret, TELEGRAM_API_ROOT: apiRoot } = config.env;
  if (!url) return undefined;
  if (!token) throw new ConfigError('TELEGRAM_BOT_TOKEN', 'is missing: TELEGRAM_WEBHOOK_URL needs the bot token');
  if (!secret) throw new ConfigError('TELEGRAM_WEBHOOK_SECRET', 'is missing: Telegram webhooks are only taken with a secret token');
  const [{ startTelegramWebhook }, { engineDepsFor }] = await Promise.all([import('../bot/channels/telegram.js'), import('../bot/engine-deps.js')]);
  return startTelegramWebhook({ token, url, secret, ...(apiRoot ? { apiRoot } : {}) }, await engineDepsFor(ctx, config, log));
}

/** The patient bot in this terminal (`roshni chat`), acting as the family with `senderPhone` when given. */
export async function runTerminalChatAs(
  ctx: DomainContext,
  config: Config,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; chatId: string; senderPhone?: string; operator: Actor },
): Promise<void> {
  const [{ ConversationEngine }, { runTerminalChat }, { engineDepsFor }, { NO_FLOOD_LIMIT }] = await Promise.all([
    import('../bot/engine/engine.js'),
    import('../bot/channels/terminal.js'),
    import('../bot/engine-deps.js'),
    import('../bot/engine/rate-limit.js'),
  ]);
  // Signed-in staff at their own terminal, typing or piping a script: no flood to refuse.
  const engine = new ConversationEngine({ ...(await engineDepsFor(ctx, config)), operator: io.operator, rateLimit: NO_FLOOD_LIMIT });
  await runTerminalChat({ engine, input: io.input, output: io.output, chatId: io.chatId, ...(io.senderPhone ? { senderPhone: io.senderPhone } : {}) });
}
