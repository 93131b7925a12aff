import type { DomainContext } from '../domain/context.js';
import { ConfigError, type Config } from '../infra/config.js';
import type { StartPart } from '../jobs/start.js';
import type { WhatsAppClientLike } from '../infra/channels/whatsapp-sender.js';
import type { EngineDeps } from './engine/types.js';
import { engineDepsFor } from './engine-deps.js';

function engineDeps(ctx: DomainContext, config: Config, log: (line: string) => void): Promise<EngineDeps> {
  return engineDepsFor(ctx, config, (event, fields) => log(JSON.stringify({ event, ...fields })));
}

/**
 * The patient bots `roshni start` runs: Telegram when a bot token is configured (long polling, or
 * behind the HTTP endpoints when TELEGRAM_WEBHOOK_URL is set),
 * WhatsApp when enabled (its client then also carries the outbox's WhatsApp messages).
 */
export function botStartParts(config: Config): StartPart[] {
  const parts: StartPart[] = [];
  const token = config.env.TELEGRAM_BOT_TOKEN;
  if (token) {
    parts.push({
      name: 'telegram',
      async start(ctx, _config, log) {
        const { startTelegramBot, startTelegramWebhook } = await import('./channels/telegram.js');
        const { TELEGRAM_API_ROOT: apiRoot, TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_SECRET: secret } = config.env;
        const deps = await engineDeps(ctx, config, log);
        if (url) {
          if (!secret) throw new ConfigError('TELEGRAM_WEBHOOK_SECRET', 'is missing: Telegram webhooks are only taken with a secret token');
          const telegramWebhook = await startTelegramWebhook({ token, url, secret, ...(apiRoot ? { apiRoot } : {}) }, deps);
          log('Telegram bot running (webhook: POST /webhooks/telegram).');
          return { stop: async () => {}, telegramWebhook };
        }
        const running = await startTelegramBot({ token, ...(apiRoot ? { apiRoot } : {}) }, deps);
        log('Telegram bot running (long polling).');
        return { stop: () => running.stop() };
      },
    });
  }
  if (config.env.WHATSAPP_ENABLED) {
    parts.push({
      name: 'whatsapp',
      async start(ctx, startConfig, log) {
        const { startWhatsAppBot } = await import('./channels/whatsapp.js');
        const running = await startWhatsAppBot(startConfig, await engineDeps(ctx, startConfig, log), log);
        return { stop: () => running.stop(), whatsapp: running.client as unknown as WhatsAppClientLike };
      },
    });
  }
  return parts;
}
