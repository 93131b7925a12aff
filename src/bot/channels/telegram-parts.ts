import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { TelegramWebhook } from '../../infra/channels/telegram-webhook.js';
import type { Releasable, SupervisedPart, PartControl } from '../../infra/part-supervisor.js';
import { ChatQueue } from '../engine/chat-queue.js';
import { bounded, CALL_TIMEOUT_MS, finishTaken, lazyBot } from './telegram-calls.js';
import { TELEGRAM_UPDATES, telegramChatOf } from './telegram.js';

// The Telegram bot as a part of `roshni start`, kept going by the part supervisor, in webhook mode;
// long polling is telegram-polling.ts. Both are our own small loops over grammY's calls, not
// bot.start() nor @grammyjs/runner: grammY's bot.init() retries getMe forever with no way to stop it,
// its polling loop retries silently (nothing to report as degraded) and throws on 409, and its stop()
// makes one more getUpdates with no time limit (500 s by default). @grammyjs/runner has the same gaps
// for this purpose (no state to report, uncapped and unabortable retry sleeps, 429 fatal), and it
// confirms a batch to Telegram as soon as it fetches the next, so an update still running at a stop
// could be neither finished nor delivered again; so it is not used. Its shape is kept: updates run
// concurrently across chats and in order within one (src/bot/engine/chat-queue.ts).

/**
 * Webhook mode (TELEGRAM_WEBHOOK_URL): running once Telegram has the webhook. Until then (and while
 * stopping) POST /webhooks/telegram answers 503, and Telegram delivers those updates again.
 */
export function telegramWebhookPart<C extends PartControl>(
  createBot: (control: C) => Promise<Bot>,
  hook: { url: string; secret: string },
  queue = new ChatQueue(),
): SupervisedPart<Releasable, C> & { telegramWebhook: TelegramWebhook } {
  const connect = lazyBot(createBot);
  let current: Bot | undefined;
  return {
    name: 'telegram',
    label: 'Telegram bot (webhook: POST /webhooks/telegram)',
    telegramWebhook: {
      secret: hook.secret,
      ready: () => current !== undefined,
      handleUpdate(update) {
        const bot = current;
        if (!bot) return Promise.reject(new Error('the Telegram bot is not connected'));
        return queue.take(telegramChatOf(update as Update), () => bot.handleUpdate(update as Update));
      },
    },
    async start(control) {
      const { bot, calls } = await connect(control);
      await bounded(control.signal, CALL_TIMEOUT_MS, (signal) =>
        bot.api.setWebhook(hook.url, { secret_token: hook.secret, allowed_updates: [...TELEGRAM_UPDATES] }, signal),
      );
      current = bot;
      return {
        async stop() {
          current = undefined;
          await finishTaken(queue, calls);
        },
      };
    },
  };
}
