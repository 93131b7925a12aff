import type { Bot, BotError, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import type { TelegramWebhook } from '../../infra/channels/telegram-webhook.js';
import { ServiceUnavailable } from '../../infra/service-unavailable.js';
import { finishedWithin, type PartControl, type Releasable, type SupervisedPart } from '../../infra/part-supervisor.js';
import { ChatQueue } from '../engine/chat-queue.js';
import { TELEGRAM_UPDATES, telegramChatOf, whenTelegramUpdateCommitted } from './telegram.js';
import { TelegramOffsets } from './telegram-offsets.js';

// The Telegram bot as a part of `roshni start`, kept going by the part supervisor: every call to the
// Bot API is bounded in time and given up when the part stops, and a failed call becomes a
// ServiceUnavailable (degraded, tried again). Long polling is a small loop of our own over grammY's
// getUpdates and handleUpdate, not bot.start(): grammY's bot.init() retries getMe forever with no way
// to stop it, its polling loop retries silently (nothing to report as degraded) and throws on 409,
// and its stop() makes one more getUpdates with no time limit (500 s by default). @grammyjs/runner
// has the same gaps for this purpose (no state to report, uncapped and unabortable retry sleeps, 429
// fatal), and it confirms a batch to Telegram as soon as it fetches the next, so an update still
// running at a stop could be neither finished nor delivered again; so it is not used. Its shape is
// kept: updates run concurrently across chats and in order within one (src/bot/engine/chat-queue.ts).

/** getMe, setWebhook, deleteWebhook, and a poll beyond its long-poll time. */
const CALL_TIMEOUT_MS = 10_000;
const LONG_POLL_SECONDS = 25;
/** A reply (a message, the QR, a document) is given up after this long. */
const REPLY_TIMEOUT_MS = 60_000;
/**
 * When the part stops, the updates taken have this long to finish with their replies, then this
 * much more once their replies are cut; with the last confirmation, within the supervisor's 5 s.
 */
const FINISH_GRACE_MS = 3_000;
const SETTLE_MS = 500;
/** Telegram is told which updates were handled with one last short call when polling stops. */
const CONFIRM_TIMEOUT_MS = 1_000;
/** Updates taken and not finished (running, or waiting behind their chat's) before polling waits for room. */
const TAKEN_AT_MOST = 100;
/** While updates run and nothing new came, the next poll waits for one to finish, or this long. */
const RECHECK_MS = 200;

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

/** Resolves after `ms`, on the signal, or when the queue finishes an update, whichever comes first. */
function untilProgress(queue: ChatQueue, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
    void queue.nextFinish().then(done);
  });
}

/**
 * When the part stops, its updates finish: first within FINISH_GRACE_MS with their replies, then
 * (replies cut) a moment more for what they write. Returns whether they all finished.
 */
async function finishTaken(queue: ChatQueue, calls: BotCalls): Promise<boolean> {
  if (await finishedWithin(FINISH_GRACE_MS, queue.idle())) return true;
  calls.cut();
  return finishedWithin(SETTLE_MS, queue.idle());
}

/**
 * Long polling (no TELEGRAM_WEBHOOK_URL): running once Telegram hands this process its updates; lost
 * when a poll fails. Updates run through a ChatQueue (concurrent across chats, in order within one);
 * the offset Telegram hears never passes an update still running (telegram-offsets.ts).
 */
export function telegramPollingPart<C extends PartControl>(createBot: (control: C) => Promise<Bot>, queue = new ChatQueue()): SupervisedPart<Releasable, C> {
  const connect = lazyBot(createBot);
  let webhookCleared = false;
  const offsets = new TelegramOffsets();

  /** The updates not taken yet among those Telegram hands out from the poll's offset. */
  const poll = async (bot: Bot, timeout: number, signal: AbortSignal) => {
    const asked = offsets.pollFrom();
    const updates = await bounded(signal, timeout * 1000 + CALL_TIMEOUT_MS, (s) =>
      bot.api.getUpdates({ offset: asked, limit: 100, timeout, allowed_updates: [...TELEGRAM_UPDATES] }, s),
    );
    offsets.asked(asked);
    return updates.filter((update) => offsets.isNew(update.update_id));
  };

  const take = (bot: Bot, update: Update) => {
    const handled = () => offsets.finished(update.update_id);
    offsets.taken(update.update_id);
    // Handled once its turn is committed (a stop may still cut its replies: it is not answered twice), or once it is over.
    whenTelegramUpdateCommitted.set(update, handled);
    void queue.take(telegramChatOf(update), () => handle(bot, update)).finally(handled);
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
        for (let updates = first; ;) {
          if (polling.signal.aborted) return; // fetched and not taken: not confirmed, so Telegram sends them again
          for (const update of updates) take(bot, update);
          while (queue.size >= TAKEN_AT_MOST && !polling.signal.aborted) await untilProgress(queue, RECHECK_MS, polling.signal);
          if (polling.signal.aborted) return;
          try {
            // While updates run, a poll returns at once (it hands out those again): no long wait then.
            updates = await poll(bot, offsets.running ? 0 : LONG_POLL_SECONDS, polling.signal);
          } catch (error) {
            if (!polling.signal.aborted) control.lost(error);
            return;
          }
          if (!updates.length && offsets.running) await untilProgress(queue, RECHECK_MS, polling.signal);
        }
      })();
      return {
        async stop() {
          polling.abort();
          await loop;
          await finishTaken(queue, calls);
          const past = offsets.handledBelow();
          if (past > offsets.confirmed) {
            await bounded(AbortSignal.timeout(CONFIRM_TIMEOUT_MS), CONFIRM_TIMEOUT_MS, (s) =>
              bot.api.getUpdates({ offset: past, limit: 1, timeout: 0, allowed_updates: [...TELEGRAM_UPDATES] }, s),
            )
              .then(() => offsets.asked(past))
              .catch(() => {});
          }
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
