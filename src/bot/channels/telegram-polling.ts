import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { finishedWithin, type PartControl, type Releasable, type SupervisedPart } from '../../infra/part-supervisor.js';
import { ChatQueue } from '../engine/chat-queue.js';
import type { EngineDeps } from '../engine/types.js';
import { bounded, CALL_TIMEOUT_MS, FINISH_GRACE_MS, handle, lazyBot, SETTLE_MS, type BotCalls } from './telegram-calls.js';
import { TelegramUpdatesInHand } from './telegram-in-hand.js';
import { KEEP_AFTER_MS, TelegramOffsets } from './telegram-offsets.js';
import { TELEGRAM_UPDATES, telegramChatOf, whenTelegramUpdateCommitted } from './telegram.js';

// Long polling as a part of `roshni start` (no TELEGRAM_WEBHOOK_URL), kept going by the part
// supervisor: a small loop of our own over grammY's getUpdates and handleUpdate (telegram-parts.ts
// says why not bot.start()). Updates run through a ChatQueue (concurrent across chats, in order
// within one). The offset Telegram hears passes only updates handled or kept in the database
// (telegram-offsets.ts): an update that holds it back is written to updates_in_hand, so that one
// slow chat does not hold up the others' polling, and a stop or crash leaves it there for the next
// start, which handles what is left before it polls.

const LONG_POLL_SECONDS = 25;
/** Telegram is told which updates were handled with one last short call when polling stops. */
const CONFIRM_TIMEOUT_MS = 1_000;
/** Updates taken and not finished (running, or waiting behind their chat's) before polling waits for room. */
const TAKEN_AT_MOST = 100;
/** While updates already taken would come again and nothing new came, the next poll waits for one to finish, or this long. */
const RECHECK_MS = 200;

/** What the part needs of the engine's dependencies: the database that keeps the updates in hand, and the log. */
type InHandDeps = Pick<EngineDeps, 'db' | 'log'>;

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
 * Long polling: running once Telegram hands this process its updates; lost when a poll fails.
 * `depsOf` gives the database that keeps the updates in hand (and the log).
 */
export function telegramPollingPart<C extends PartControl>(
  createBot: (control: C) => Promise<Bot>,
  depsOf: (control: C) => Promise<InHandDeps> | InHandDeps,
  queue = new ChatQueue(),
): SupervisedPart<Releasable, C> {
  const connect = lazyBot(createBot);
  let webhookCleared = false;
  let inHand: TelegramUpdatesInHand | undefined;
  const offsets = new TelegramOffsets();
  /** Updates taken and not handled, with when they were taken; `running` while in the chat queue (waiting or running). */
  const taken = new Map<number, { update: Update; takenAt: Date; running: boolean }>();
  /** Which start the part is in, and the last start whose stop cut the replies. */
  let startNo = 0;
  let cutIn = -1;
  let keepFailedAt = -Infinity;
  let keeping: Promise<void> | undefined;
  let log: InHandDeps['log'];

  /** The updates not taken yet among those Telegram hands out from the poll's offset. */
  const poll = async (bot: Bot, timeout: number, signal: AbortSignal) => {
    const asked = offsets.pollFrom();
    const updates = await bounded(signal, timeout * 1000 + CALL_TIMEOUT_MS, (s) =>
      bot.api.getUpdates({ offset: asked, limit: 100, timeout, allowed_updates: [...TELEGRAM_UPDATES] }, s),
    );
    offsets.asked(asked);
    return updates.filter((update) => offsets.isNew(update.update_id));
  };

  const run = (bot: Bot, update: Update) => {
    const id = update.update_id;
    const entry = taken.get(id)!;
    let startedIn = startNo;
    const handled = () => {
      if (!taken.delete(id)) return;
      if (offsets.finished(id)) inHand?.forget(id);
    };
    entry.running = true;
    // Handled once its turn is committed (a stop may still cut its replies: it is not answered twice),
    // or once it is over, unless a stop cut it while it ran: then it is left for the next start.
    whenTelegramUpdateCommitted.set(update, handled);
    void queue
      .take(telegramChatOf(update), () => {
        startedIn = startNo;
        return handle(bot, update);
      })
      .finally(() => {
        entry.running = false;
        if (cutIn !== startedIn) handled();
      });
  };

  const take = (bot: Bot, update: Update, kept = false) => {
    offsets.taken(update.update_id, performance.now(), kept);
    taken.set(update.update_id, { update, takenAt: new Date(), running: false });
    run(bot, update);
  };

  /**
   * Keeps in the database the updates that hold the offset back (none in the common case), while
   * polling goes on: the offset moves past them once they are written. Those merely slow, not while
   * every update slot is busy: new updates could not start anyway, and the database is what the
   * running ones wait for.
   */
  const keepHeldBack = () => {
    const now = performance.now();
    if (!inHand || keeping || now - keepFailedAt < KEEP_AFTER_MS) return;
    const ids = offsets.toKeep(now, !queue.full).filter((id) => taken.has(id));
    if (!ids.length) return;
    const store = inHand;
    keeping = store
      .keep(ids.map((id) => taken.get(id)!))
      .then(() => {
        offsets.kept(ids);
        for (const id of ids) if (!taken.has(id)) store.forget(id); // handled while it was being written
      })
      .catch((error: unknown) => {
        // Not kept: the offset trails the newest update by at most HELD_BACK_AT_MOST (telegram-offsets.ts).
        keepFailedAt = performance.now();
        log?.('telegram.in_hand', { outcome: 'not_kept', updates: ids.length, error: error instanceof Error ? error.name : 'unknown' });
      })
      .finally(() => (keeping = undefined));
  };

  /** Before polling: what a stop cut in this process, then what an earlier process left in the database. */
  const takeLeftOver = async (bot: Bot, store: TelegramUpdatesInHand) => {
    for (const [, entry] of [...taken].sort(([a], [b]) => a - b)) if (!entry.running) run(bot, entry.update);
    await store.settled();
    for (const update of await store.left()) if (!offsets.has(update.update_id)) take(bot, update, true);
  };

  const stopPolling = async (bot: Bot, calls: BotCalls, polling: AbortController, loop: Promise<void>) => {
    polling.abort();
    await loop;
    if (!(await finishedWithin(FINISH_GRACE_MS, queue.idle()))) {
      // Replies are cut: what runs now may still commit (and is handled), what waits does not start.
      cutIn = startNo;
      calls.cut();
      queue.hold();
      await finishedWithin(SETTLE_MS, queue.noneRunning());
    }
    const past = offsets.handledBelow();
    const confirm =
      past > offsets.confirmed
        ? bounded(AbortSignal.timeout(CONFIRM_TIMEOUT_MS), CONFIRM_TIMEOUT_MS, (s) =>
            bot.api.getUpdates({ offset: past, limit: 1, timeout: 0, allowed_updates: [...TELEGRAM_UPDATES] }, s),
          ).then(() => offsets.asked(past))
        : Promise.resolve();
    await Promise.all([confirm.catch(() => {}), finishedWithin(CONFIRM_TIMEOUT_MS, inHand?.settled() ?? Promise.resolve())]);
  };

  return {
    name: 'telegram',
    label: 'Telegram bot (long polling)',
    async start(control) {
      const { bot, calls } = await connect(control);
      startNo += 1;
      queue.release();
      if (!webhookCleared) {
        // As bot.start() does: a webhook left from webhook mode would refuse every poll (409).
        await bounded(control.signal, CALL_TIMEOUT_MS, (signal) => bot.api.deleteWebhook({}, signal));
        webhookCleared = true;
      }
      if (!inHand) {
        const deps = await depsOf(control);
        log = deps.log;
        inHand = new TelegramUpdatesInHand(deps.db, bot.botInfo.id, log);
      }
      await takeLeftOver(bot, inHand);
      const first = await poll(bot, 0, control.signal);
      const polling = new AbortController();
      const loop = (async () => {
        for (let updates = first; ;) {
          if (polling.signal.aborted) return; // fetched and not taken: not confirmed, so Telegram sends them again
          for (const update of updates) take(bot, update);
          while (queue.size >= TAKEN_AT_MOST && !polling.signal.aborted) await untilProgress(queue, RECHECK_MS, polling.signal);
          keepHeldBack();
          if (polling.signal.aborted) return;
          try {
            // While updates taken would come again, a poll returns at once (it hands them out): no long wait then.
            updates = await poll(bot, offsets.redelivers() ? 0 : LONG_POLL_SECONDS, polling.signal);
          } catch (error) {
            if (!polling.signal.aborted) control.lost(error);
            return;
          }
          if (!updates.length && offsets.redelivers()) await untilProgress(queue, RECHECK_MS, polling.signal);
        }
      })();
      return { stop: () => stopPolling(bot, calls, polling, loop) };
    },
  };
}
