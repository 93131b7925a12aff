import type { Bot, BotError, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { ServiceUnavailable } from '../../infra/service-unavailable.js';
import { finishedWithin, type PartControl } from '../../infra/part-supervisor.js';
import type { ChatQueue } from '../engine/chat-queue.js';
import { whenTelegramCallsCut } from './telegram.js';

// What both Telegram parts (long polling: telegram-polling.ts; webhook: telegram-parts.ts) do with the
// Bot API: every call bounded in time and given up when the part stops, a failed call turned into a
// ServiceUnavailable (degraded, tried again), the bot's own replies cut at once when a stop runs late.

/** getMe, setWebhook, deleteWebhook, and a poll beyond its long-poll time. */
export const CALL_TIMEOUT_MS = 10_000;
/** A reply (a message, the QR, a document) is given up after this long. */
const REPLY_TIMEOUT_MS = 60_000;
/**
 * When a part stops, the updates taken have this long to finish with their replies, then this
 * much more once their replies are cut; with the last confirmation, within the supervisor's 5 s.
 */
export const FINISH_GRACE_MS = 3_000;
export const SETTLE_MS = 500;

/** grammY's Node build types its signals with the abort-controller polyfill; Node's own AbortSignal works the same. */
type ApiSignal = Parameters<Bot['api']['getMe']>[0];

/** A signal aborted with `parent` or after `ms`; dispose() once the call is over. */
function callSignal(parent: AbortSignal, ms: number) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  const onParent = () => controller.abort();
  if (parent.aborted) controller.abort();
  else parent.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal as unknown as ApiSignal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/** Telegram answered, with an error (grammY's GrammyError, told by its name so that grammY loads only with the bot). */
function isGrammyError(error: unknown): error is GrammyError {
  return error instanceof Error && error.name === 'GrammyError' && typeof (error as Partial<GrammyError>).error_code === 'number';
}

/** A failed Bot API call as the part's reason (grammY keeps the token out of its errors; we keep their messages out too). */
export function telegramTrouble(error: unknown, timedOut: boolean): unknown {
  if (isGrammyError(error)) {
    const code = error.error_code;
    if (code === 429) return new ServiceUnavailable('rate limited (HTTP 429)', { retryAfterMs: (error.parameters.retry_after ?? 0) * 1000, cause: error });
    if (code === 401 || code === 404) return new ServiceUnavailable(`bot token refused (HTTP ${code})`, { cause: error });
    if (code === 409) return new ServiceUnavailable('conflict (HTTP 409): another process polls this bot, or a webhook is set', { cause: error });
    return new ServiceUnavailable(`Bot API answered HTTP ${code}`, { cause: error });
  }
  if (error instanceof Error && error.name === 'HttpError')
    return new ServiceUnavailable(timedOut ? 'Bot API not answering' : 'Bot API unreachable', { cause: error });
  return error;
}

export async function bounded<T>(parent: AbortSignal, ms: number, call: (signal: ApiSignal) => Promise<T>): Promise<T> {
  const limit = callSignal(parent, ms);
  try {
    return await call(limit.signal);
  } catch (error) {
    throw telegramTrouble(error, limit.timedOut());
  } finally {
    limit.dispose();
  }
}

/** The bot's own calls (its replies, its file downloads): each bounded in time, all cut at once with cut(). */
export class BotCalls {
  private cutting = new AbortController();

  constructor(bot: Bot) {
    whenTelegramCallsCut.set(bot, () => this.cutting.signal);
    bot.api.config.use(async (prev, method, payload, signal) => {
      if (signal) return prev(method, payload, signal);
      const limit = callSignal(this.cutting.signal, REPLY_TIMEOUT_MS);
      try {
        return await prev(method, payload, limit.signal);
      } finally {
        limit.dispose();
      }
    });
  }

  /** A new start: calls are allowed again. */
  renew(): void {
    this.cutting = new AbortController();
  }

  cut(): void {
    this.cutting.abort();
  }
}

/** One bot for every start of the part (its offset and identity survive a reconnection), made when first needed. */
export function lazyBot<C extends PartControl>(createBot: (control: C) => Promise<Bot>) {
  let made: { bot: Bot; calls: BotCalls } | undefined;
  return async (control: C) => {
    if (!made) {
      const bot = await createBot(control);
      made = { bot, calls: new BotCalls(bot) };
    }
    made.calls.renew();
    if (!made.bot.isInited()) made.bot.botInfo = await bounded(control.signal, CALL_TIMEOUT_MS, (signal) => made!.bot.api.getMe(signal));
    return made;
  };
}

export async function handle(bot: Bot, update: Update): Promise<void> {
  try {
    await bot.handleUpdate(update);
  } catch (error) {
    await Promise.resolve(bot.errorHandler(error as BotError)).catch(() => {});
  }
}

/**
 * When the part stops, its updates finish: first within FINISH_GRACE_MS with their replies, then
 * (replies cut) a moment more for what they write. Returns whether they all finished.
 */
export async function finishTaken(queue: ChatQueue, calls: BotCalls): Promise<boolean> {
  if (await finishedWithin(FINISH_GRACE_MS, queue.idle())) return true;
  calls.cut();
  return finishedWithin(SETTLE_MS, queue.idle());
}
