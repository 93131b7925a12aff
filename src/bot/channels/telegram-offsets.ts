// Which Telegram updates long polling has taken and which of those are handled (their turn
// committed, or over). Telegram forgets an update once a getUpdates asks with a greater offset, so
// an offset is only ever given past handled updates: one whose turn had not committed when the
// process stops is delivered again at the next start (and answered once), and none is lost. To keep fetching while an update is slow, the offset trails the
// newest taken by at most HELD_BACK_AT_MOST; only an update older than that is confirmed unfinished
// (and a stop then waits for it, as for every update taken).

/** getUpdates hands out at most 100 updates; half of them may be ones already taken. */
export const HELD_BACK_AT_MOST = 50;

export class TelegramOffsets {
  /** The next update id to take (0: whatever Telegram has not been told about). */
  private next = 0;
  private readonly unfinished = new Set<number>();
  /** The greatest offset Telegram has been given: updates below it are not delivered again. */
  confirmed = 0;

  /** Whether the update is one not taken yet (a poll may return updates already taken). */
  isNew(updateId: number): boolean {
    return updateId >= this.next;
  }

  taken(updateId: number): void {
    this.next = updateId + 1;
    this.unfinished.add(updateId);
  }

  finished(updateId: number): void {
    this.unfinished.delete(updateId);
  }

  /** How many taken updates are not finished. */
  get running(): number {
    return this.unfinished.size;
  }

  /** Every update below this one is finished: the offset a stop confirms. */
  handledBelow(): number {
    let lowest = this.next;
    for (const id of this.unfinished) lowest = Math.min(lowest, id);
    return lowest;
  }

  /** The offset for the next poll. */
  pollFrom(): number {
    return Math.max(this.handledBelow(), this.next - HELD_BACK_AT_MOST);
  }

  /** After a poll asked with `offset`, Telegram has let go of everything below it. */
  asked(offset: number): void {
    this.confirmed = Math.max(this.confirmed, offset);
  }
}
