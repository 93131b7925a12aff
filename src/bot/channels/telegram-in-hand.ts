import type { Update } from 'grammy/types';
import type { DomainContext } from '../../domain/context.js';
import { forgetUpdatesInHand, keepUpdatesInHand, updatesLeftInHand, type BotKey } from '../../domain/messaging/updates-in-hand.js';
import { telegramChatOf } from './telegram.js';

// The Telegram updates long polling keeps in the database while Telegram lets go of them
// (src/domain/messaging/updates-in-hand.ts). Writes go one at a time, in order, so that a row's
// deletion never overtakes its insert; the rows of updates handled meanwhile go in one statement.

export class TelegramUpdatesInHand {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly handled = new Set<number>();
  private forgetQueued = false;
  private readonly bot: BotKey;

  constructor(
    private readonly db: DomainContext['db'],
    botId: number,
    private readonly log?: (event: string, fields: Record<string, unknown>) => void,
  ) {
    this.bot = { channel: 'telegram', botId };
  }

  /** Writes the updates (one statement); resolves once they are in the database, rejects if they are not. */
  keep(updates: ReadonlyArray<{ update: Update; takenAt: Date }>): Promise<void> {
    const rows = updates.map(({ update, takenAt }) => ({ updateId: update.update_id, chatId: telegramChatOf(update), update, takenAt }));
    return this.next(() => keepUpdatesInHand(this.db, this.bot, rows));
  }

  /** A kept update is handled: its row goes with the next deletion. */
  forget(updateId: number): void {
    this.handled.add(updateId);
    this.queueForget();
  }

  /** Resolves once every write asked for so far is done (or has failed); a deletion that failed is tried again. */
  async settled(): Promise<void> {
    this.queueForget();
    await this.writes.catch(() => {});
  }

  /** The updates a stop or a crash left in the database, in the order they came (not those handled since). */
  async left(): Promise<Update[]> {
    const left = await updatesLeftInHand(this.db, this.bot);
    return left.filter((u) => !this.handled.has(u.updateId)).map((u) => u.update as Update);
  }

  private queueForget(): void {
    if (this.forgetQueued || !this.handled.size) return;
    this.forgetQueued = true;
    void this.next(() => this.forgetHandled()).catch(() => {});
  }

  private next<T>(write: () => Promise<T>): Promise<T> {
    const done = this.writes.catch(() => {}).then(write);
    this.writes = done;
    return done;
  }

  private async forgetHandled(): Promise<void> {
    this.forgetQueued = false;
    const ids = [...this.handled];
    this.handled.clear();
    try {
      await forgetUpdatesInHand(this.db, this.bot, ids);
    } catch (error) {
      // Tried again with the next deletion or the stop; until then a restart would answer them again.
      for (const id of ids) this.handled.add(id);
      this.log?.('telegram.in_hand', { outcome: 'not_deleted', updates: ids.length, error: error instanceof Error ? error.name : 'unknown' });
      throw error;
    }
  }
}
