import { performance } from 'node:perf_hooks';
import { translate } from '../../src/bot/engine/i18n.js';
import type { FakeTelegram, RecordedCall } from './fake-telegram.js';
import { buttonsOf, nextTap, type Button, type Tap } from './guardian-script.js';

// One guardian on Telegram for the bot-load benchmark: taps, waits for the bot's answer, reads it for
// 1–3 s, taps what the answer offers. Latency runs from the tap (the moment the update is available
// to getUpdates) to the first reply the bot sends for it.

/** A tap with no reply by then is a stuck chat (unless the bot had just said "slow down": see below). */
export const STUCK_MS = 10_000;
/** A reply without buttons ends the turn once nothing more has come for this long. */
const QUIET_MS = 1_000;
/** The engine's flood window: after "slow down", a tap that gets no reply was dropped by it, not stuck. */
const SLOW_DOWN_WINDOW_MS = 60_000;
/** Telegram methods by which the bot answers a chat. */
export const REPLY_METHODS = new Set(['sendMessage', 'editMessageText', 'sendPhoto', 'sendDocument']);

const SLOW_DOWN = translate('en', 'slowDown');
const SOMETHING_WRONG = translate('en', 'somethingWrong');

export interface LoadTally {
  taps: number;
  /** Taps that pressed a button the bot offered (the rest write "menu"). */
  presses: number;
  answeredTaps: number;
  replies: number;
  /** Milliseconds from tap to first reply; "slow down" replies left out (they answer before any work). */
  latencies: number[];
  stuckChats: Set<number>;
  stuckTaps: number;
  /** Taps still without a reply when the run ended, STUCK_MS after its last tap. */
  unanswered: number;
  errorReplies: number;
  rateLimitedReplies: number;
  /** Taps the flood limiter dropped without a word (after its one "slow down"). */
  droppedTaps: number;
}

export function emptyTally(): LoadTally {
  return {
    taps: 0,
    presses: 0,
    answeredTaps: 0,
    replies: 0,
    latencies: [],
    stuckChats: new Set(),
    stuckTaps: 0,
    unanswered: 0,
    errorReplies: 0,
    rateLimitedReplies: 0,
    droppedTaps: 0,
  };
}

interface PendingTap {
  at: number;
  replied: boolean;
  done(outcome: 'answered' | 'dropped' | 'unanswered'): void;
  quiet?: NodeJS.Timeout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let updateSerial = 1;

export class SimulatedGuardian {
  private buttons: Button[] | null = null;
  private pending: PendingTap | undefined;
  private lastSlowDownAt = -Infinity;

  constructor(
    readonly chatId: number,
    private readonly telegram: FakeTelegram,
    private readonly random: () => number,
    private readonly tally: LoadTally,
  ) {}

  /** Taps from `startAt` until `until` (performance.now() times), then waits for the last answer. */
  async run(startAt: number, until: number): Promise<void> {
    await sleep(Math.max(0, startAt - performance.now()));
    let tap: Tap = { kind: 'write', text: 'menu' };
    while (performance.now() < until) {
      await this.tapAndWait(tap, until + STUCK_MS);
      await sleep(1_000 + this.random() * 2_000);
      tap = nextTap(this.buttons, this.random);
    }
  }

  /** A call the fake Bot API received for this chat. */
  onReply(call: RecordedCall): void {
    const at = performance.now();
    this.tally.replies++;
    const text = String(call.params.text ?? call.params.caption ?? '');
    const slowDown = text.includes(SLOW_DOWN);
    if (slowDown) {
      this.tally.rateLimitedReplies++;
      this.lastSlowDownAt = at;
    } else if (text.includes(SOMETHING_WRONG)) {
      this.tally.errorReplies++;
    }
    this.buttons = buttonsOf(call.params.reply_markup);
    const pending = this.pending;
    if (!pending) return; // late, after its tap was given up as dropped
    if (!pending.replied) {
      pending.replied = true;
      if (!slowDown) this.tally.latencies.push(at - pending.at);
    }
    clearTimeout(pending.quiet);
    if (this.buttons) pending.done('answered');
    else pending.quiet = setTimeout(() => pending.done('answered'), QUIET_MS);
  }

  private tapAndWait(tap: Tap, giveUpAt: number): Promise<void> {
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const pending: PendingTap = {
        at: performance.now(),
        replied: false,
        done: (outcome) => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          timers.forEach(clearTimeout);
          clearTimeout(pending.quiet);
          if (outcome === 'answered') this.tally.answeredTaps++;
          else if (outcome === 'dropped') this.tally.droppedTaps++;
          else this.tally.unanswered++;
          resolve();
        },
      };
      this.pending = pending;
      this.tally.taps++;
      if (tap.kind === 'press') this.tally.presses++;
      this.telegram.pushUpdate(this.updateFor(tap));
      timers.push(
        setTimeout(() => {
          if (pending.replied) return;
          if (pending.at - this.lastSlowDownAt < SLOW_DOWN_WINDOW_MS) return pending.done('dropped');
          this.tally.stuckChats.add(this.chatId);
          this.tally.stuckTaps++;
        }, STUCK_MS),
        setTimeout(() => pending.done(pending.replied ? 'answered' : 'unanswered'), Math.max(STUCK_MS, giveUpAt - pending.at)),
      );
    });
  }

  private updateFor(tap: Tap): Record<string, unknown> {
    const serial = updateSerial++;
    const chat = { id: this.chatId, type: 'private' };
    const from = { id: this.chatId, is_bot: false, first_name: 'Guardian' };
    const date = Math.floor(Date.now() / 1000);
    if (tap.kind === 'write') return { message: { message_id: serial, date, chat, from, text: tap.text } };
    const shown = { message_id: serial, date, chat, from: { id: 1000, is_bot: true, first_name: 'Roshni Clinic' }, text: '' };
    return { callback_query: { id: String(serial), from, chat_instance: String(this.chatId), data: tap.data, message: shown } };
  }
}
