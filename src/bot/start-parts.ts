import type { DomainContext } from '../domain/context.js';
import type { Config } from '../infra/config.js';
import type { StartPart } from '../jobs/start.js';
import type { WhatsAppClientLike } from '../infra/channels/whatsapp-sender.js';
import type { EngineDeps } from './engine/types.js';

function engineDeps(ctx: DomainContext, log: (line: string) => void): EngineDeps {
  return { db: ctx.db, clock: ctx.clock, timezone: ctx.timezone, log: (event, fields) => log(JSON.stringify({ event, ...fields })) };
}

/**
 * The patient bots `roshni start` runs: Telegram when a bot token is configured (long polling),
 * WhatsApp when enabled (its client then also carries the outbox's WhatsApp messages).
 */
export function botStartParts(config: Config): StartPart[] {
  const parts: StartPart[] = [];
  const token = config.env.TELEGRAM_BOT_TOKEN;
  if (token) {
    parts.push({
      name: 'telegram',
      async start(ctx, _config, log) {
        const { startTelegramBot } = await import('./channels/telegram.js');
        const apiRoot = config.env.TELEGRAM_API_ROOT;
        const running = await startTelegramBot({ token, ...(apiRoot ? { apiRoot } : {}) }, engineDeps(ctx, log));
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
        const running = await startWhatsAppBot(startConfig, engineDeps(ctx, log), log);
        return { stop: () => running.stop(), whatsapp: running.client as unknown as WhatsAppClientLike };
      },
    });
  }
  return parts;
}
