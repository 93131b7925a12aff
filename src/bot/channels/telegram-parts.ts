import type { Bot, BotError, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import type { TelegramWebhook } from '../../infra/channels/telegram-webhook.js';
import { ServiceUnavailable } from '../../infra/service-unavailable.js';
import { finishedWithin, type PartControl, type Releasable, type SupervisedPart } from '../../infra/part-supervisor.js';
import { TELEGRAM_UPDATES } from './telegram.js';

// The Telegram bot as a part of `roshni start`, kept going by the part supervisor: every call to the
// Bot API is bounded in time and given up when the part stops, and a failed call becomes a
// ServiceUnavailable (degraded, tried again). Long polling is a small loop of our own over grammY's
// getUpdates and handleUpdate, not bot.start(): grammY's bot.init() retries getMe forever with no way
// to stop it, its polling loop retries silently (nothing to report as degraded) and throws on 409,
// and its stop() makes one more getUpdates with no time limit (500 s by default). @grammyjs/runner
// has the same gaps for this purpose (no state to report, uncapped and unabortable retry sleeps, 429
// fatal), so it is not used. grammY itself is loaded only when the bot is first made (createBot).

/** getMe, setWebhook, deleteWebhook, and a poll beyond its long-poll time. */
const CALL_TIMEOUT_MS = 10_000;
const LONG_POLL_SECONDS = 25;
/** A reply (a message, the QR, a document) is given up after this long. */
const REPLY_TIMEOUT_MS = 60_000;
/** When the part stops, the update being handled has this long to finish its replies before they are cut. */
const FINISH_GRACE_MS = 3_000;
/** Telegram is told which updates were handled with one last short call when polling stops. */
const CONFIRM_TIMEOUT_MS = 2_000;

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
  if (error instanceof Error && error.name === 'HttpError') return new ServiceUnavailable(timedOut ? 'Bot API not answering' : 'Bot API unreachable', { cause: error });
  return error;
}

async function bounded<T>(parent: AbortSignal, ms: number, call: (signal: ApiSignal) => Promise<T>): Promise<T> {
  const limit = callSignal(parent, ms);
  try {
    return await call(limit.signal);
  } catch (error) {
    throw telegramTrouble(error, limit.timedOut());
  } finally {
    limit.dispose();
  }
}

/** The bot's own calls (its replies): each bounded in time, all cut at once with cut(). */
class BotCalls {
  private cutting = new AbortController();

  constructor(bot: Bot) {
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
function lazyBot<C extends PartControl>(createBot: (control: C) => Promise<Bot>) {
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

async function handle(bot: Bot, update: Update): Promise<void> {
  try {
    await bot.handleUpdate(update);
  } catch (error) {
    await Promise.resolve(bot.errorHandler(error as BotError)).catch(() => {});
  }
}

/** Long polling (no TELEGRAM_WEBHOOK_URL): running once Telegram hands this process its updates; lost when a poll fails. */
export function telegramPollingPart<C extends PartControl>(createBot: (control: C) => Promise<Bot>): SupervisedPart<Releasable, C> {
  const connect = lazyBot(createBot);
  let webhookCleared = false;
  /** The next update to ask for, and the offset Telegram last heard (updates below it are not sent again). */
  let offset = 0;
  let confirmed = 0;

  const poll = async (bot: Bot, timeout: number, signal: AbortSignal) => {
    const asked = offset;
    const updates = await bounded(signal, timeout * 1000 + CALL_TIMEOUT_MS, (s) =>
      bot.api.getUpdates({ offset: asked, timeout, allowed_updates: [...TELEGRAM_UPDATES] }, s),
    );
    confirmed = Math.max(confirmed, asked);
    return updates;
  };

  return {
    name: 'telegram',
    label: 'Telegram bot (long polling)',
    async start(control) {
      const { bot, calls } = await connect(control);
      if (!webhookCleared) {
        // As bot.start() does: a webhook left from webhook mode would refuse every poll (409).
        await bounded(control.signal, CALL_TIMEOUT_MS, (signal) => bot.api.deleteWebhook({}, signal));
        webhookCleared = true;
      }
      const first = await poll(bot, 0, control.signal);
      const polling = new AbortController();
      const loop = (async () => {
        for (let updates = first; ; ) {
          for (const update of updates) {
            if (polling.signal.aborted) return; // the rest are handed back: Telegram sends them again
            offset = update.update_id + 1;
            await handle(bot, update);
          }
          if (polling.signal.aborted) return;
          try {
            updates = await poll(bot, LONG_POLL_SECONDS, polling.signal);
          } catch (error) {
            if (!polling.signal.aborted) control.lost(error);
            return;
          }
        }
      })();
      return {
        async stop() {
          polling.abort();
          if (!(await finishedWithin(FINISH_GRACE_MS, loop))) calls.cut();
          await loop;
          if (offset > confirmed) await poll(bot, 0, AbortSignal.timeout(CONFIRM_TIMEOUT_MS)).catch(() => {});
        },
      };
    },
  };
}

/**
 * Webhook mode (TELEGRAM_WEBHOOK_URL): running once Telegram has the webhook. Until then (and while
 * stopping) POST /webhooks/telegram answers 503, and Telegram delivers those updates again.
 */
export function telegramWebhookPart<C extends PartControl>(
  createBot: (control: C) => Promise<Bot>,
  hook: { url: string; secret: string },
): SupervisedPart<Releasable, C> & { telegramWebhook: TelegramWebhook } {
  const connect = lazyBot(createBot);
  let current: Bot | undefined;
  const inFlight = new Set<Promise<void>>();
  return {
    name: 'telegram',
    label: 'Telegram bot (webhook: POST /webhooks/telegram)',
    telegramWebhook: {
      secret: hook.secret,
      ready: () => current !== undefined,
      handleUpdate(update) {
        if (!current) return Promise.reject(new Error('the Telegram bot is not connected'));
        const work = current.handleUpdate(update as Update);
        const tracked = work.catch(() => {});
        inFlight.add(tracked);
        void tracked.finally(() => inFlight.delete(tracked));
        return work;
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
          if (!(await finishedWithin(FINISH_GRACE_MS, Promise.all([...inFlight])))) calls.cut();
        },
      };
    },
  };
}
