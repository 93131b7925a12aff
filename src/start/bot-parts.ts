import { ConfigError, type Config } from '../infra/config.js';
import type { StartControl, StartPart } from './roshni.js';
import { telegramWebhookPart } from '../bot/channels/telegram-parts.js';
import { telegramPollingPart } from '../bot/channels/telegram-polling.js';
import type { WhatsAppSession } from '../bot/channels/whatsapp.js';
import { whatsappPart } from '../bot/channels/whatsapp-part.js';
import { ConversationEngine } from '../bot/engine/engine.js';
import type { EngineDeps } from '../bot/engine/types.js';
import { engineDepsFor } from '../bot/engine-deps.js';

export interface BotPartOptions {
  /** The WhatsApp client to drive (tests inject one); whatsapp-web.js's by default. */
  whatsappSession?: (control: StartControl) => Promise<WhatsAppSession>;
}

/** The engine's dependencies, made once for every start of every bot. */
function sharedEngineDeps(): (control: StartControl) => Promise<EngineDeps> {
  let deps: Promise<EngineDeps> | undefined;
  return ({ ctx, config, log }) => {
    deps ??= engineDepsFor(ctx, config, (event, fields, level) => log(JSON.stringify({ event, ...fields }), level)).catch((error: unknown) => {
      deps = undefined;
      throw error;
    });
    return deps;
  };
}

/**
 * The patient bots `roshni start` runs, each started and kept going in the background
 * (src/infra/part-supervisor.ts): Telegram when a bot token is configured (long polling, or behind the
 * HTTP endpoints when TELEGRAM_WEBHOOK_URL is set), WhatsApp when enabled (its client then also
 * carries the outbox's WhatsApp messages). A configuration that cannot work is refused here, before
 * anything starts. The SDKs load when a bot first starts.
 */
export function botStartParts(config: Config, options: BotPartOptions = {}): StartPart[] {
  const parts: StartPart[] = [];
  const engineDeps = sharedEngineDeps();
  const { TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: apiRoot, TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_SECRET: secret } = config.env;
  if (token) {
    const createBot = async (control: StartControl) => {
      const { createTelegramBot } = await import('../bot/channels/telegram.js');
      const deps = await engineDeps(control);
      return createTelegramBot(new ConversationEngine(deps), { token, ...(apiRoot ? { apiRoot } : {}) }, deps.log);
    };
    if (!url) parts.push(telegramPollingPart(createBot, engineDeps));
    else if (secret) parts.push(telegramWebhookPart(createBot, { url, secret }));
    else throw new ConfigError('TELEGRAM_WEBHOOK_SECRET', 'is missing: Telegram webhooks are only taken with a secret token');
  }
  if (config.env.WHATSAPP_ENABLED) {
    const openSession =
      options.whatsappSession ?? (async ({ config: given, log }: StartControl) => (await import('../bot/channels/whatsapp.js')).whatsappWebSession(given, log));
    parts.push(whatsappPart(openSession, engineDeps));
  }
  return parts;
}
