import { Api, GrammyError, HttpError } from 'grammy';
import { describeTimeout, OUTBOUND_TIMEOUT_MS } from '../outbound.js';
import { ChannelError, sleep, type Channel, type OutboundMessage } from './channel.js';
import { RateLimiter } from './rate-limiter.js';
import type { SharedPacing } from './shared-pacing.js';

export interface TelegramChannelOptions {
  token: string;
  apiRoot?: string;
  /** Overall sends per second (Telegram: about 30). */
  perSecond?: number;
  /** Minimum gap between two sends to one chat (Telegram: about 1 s; 1.05 s leaves room for network jitter). */
  perChatIntervalMs?: number;
  /** A 429 asking to wait longer than this is handed back to the dispatcher to retry later. */
  maxInlineWaitMs?: number;
  /** The overall pace shared with every other process sending through this bot (see shared-pacing.ts). */
  sharedPacing?: SharedPacing;
  /** How long a request may go unanswered (default OUTBOUND_TIMEOUT_MS; grammY's own default is 500 s). */
  timeoutMs?: number;
}

/** One button per row: labels such as "Reschedule 10:45 (APT-000124)" need the width. */
function actionKeyboard(actions: OutboundMessage['actions']) {
  return { inline_keyboard: actions.map((a) => [{ text: a.label, callback_data: a.value }]) };
}

/**
 * Telegram through grammY's API client, paced under Telegram's published limits; a 429 pauses every
 * send for its retry_after (flood control is per bot) and the message is tried again.
 */
export function telegramChannel(options: TelegramChannelOptions): Channel {
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
  const api = new Api(options.token, { timeoutSeconds: timeoutMs / 1000, ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) });
  const limiter = new RateLimiter({ perSecond: options.perSecond ?? 30, perKeyIntervalMs: options.perChatIntervalMs ?? 1050 }, options.sharedPacing);
  const maxInlineWaitMs = options.maxInlineWaitMs ?? 60_000;
  return {
    name: 'telegram',
    async send(chatId: string, message: OutboundMessage) {
      for (let attempt = 0; ; attempt++) {
        const sendOver = await limiter.acquire(chatId);
        const began = performance.now();
        try {
          const sent = await api.sendMessage(chatId, message.text, message.actions.length ? { reply_markup: actionKeyboard(message.actions) } : {});
          return { providerMessageId: `${sent.chat.id}:${sent.message_id}` };
        } catch (error) {
          if (error instanceof GrammyError) {
            if (error.error_code === 429) {
              const waitMs = (error.parameters.retry_after ?? 1) * 1000;
              await limiter.pause(waitMs);
              if (waitMs > maxInlineWaitMs || attempt >= 3) throw new ChannelError('telegram', true, 'telegram: 429 too many requests', waitMs);
              await sleep(waitMs);
              continue;
            }
            if (error.error_code >= 500) throw new ChannelError('telegram', true, `telegram: ${error.error_code}`);
            // 400 chat not found, 403 blocked by the user: trying again will not help.
            throw new ChannelError('telegram', false, `telegram: ${error.error_code} ${error.description.slice(0, 80)}`);
          }
          if (error instanceof HttpError) {
            const timedOut = performance.now() - began >= timeoutMs - 50;
            throw new ChannelError('telegram', true, timedOut ? `telegram: no answer ${describeTimeout(timeoutMs)}` : 'telegram: connection failed');
          }
          throw error;
        } finally {
          sendOver();
        }
      }
    },
  };
}
