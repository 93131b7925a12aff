// Which Telegram updates long polling has taken and which of those are handled (their turn
// committed, or over). Telegram forgets an update once a getUpdates asks with a greater offset, so
// an offset is only ever given past updates that are handled or kept in the database (updates in
// hand): one whose turn had not committed when the process stops is delivered again at the next
// start, or handled then from the database, and answered once; none is lost.
//
// An unfinished update that would hold the offset back (taken KEEP_AFTER_MS ago, or HELD_BACK_AT_MOST
// updates behind the newest) is kept in the database, and the offset moves past it: while it is
// slow, the next poll waits for new updates only (a long poll) instead of being handed the ones
// already taken again. Updates that finish quickly are never written.

/** getUpdates hands out at most 100 updates; at most half of them may be ones already taken. */
export const HELD_BACK_AT_MOST = 50;
/** An update unfinished this long is kept in the database, so that it holds back no one. */
export const KEEP_AFTER_MS = 1_000;

interface Unfinished {
  takenAt: number;
  /** In the database (updates in hand): it does not hold the offset back. */
  kept: boolean;
}

export class TelegramOffsets {
  /** The next update id to take (0: whatever Telegram has not been told about). */
  private next = 0;
  private readonly unfinished = new Map<number, Unfinished>();
  /** The greatest offset Telegram has been given: updates below it are not delivered again. */
  confirmed = 0;

  /** Whether the update is one not taken yet (a poll may return updates already taken). */
  isNew(updateId: number): boolean {
    return updateId >= this.next;
  }

  /** `at`: a monotonic time in ms (performance.now()); `kept`: taken from the database. */
  taken(updateId: number, at: number, kept = false): void {
    this.next = Math.max(this.next, updateId + 1);
    this.unfinished.set(updateId, { takenAt: at, kept });
  }

  /** Whether the update is taken and not finished. */
  has(updateId: number): boolean {
    return this.unfinished.has(updateId);
  }

  /** Returns whether it was kept in the database (its row is then to be deleted). */
  finished(updateId: number): boolean {
    const was = this.unfinished.get(updateId);
    this.unfinished.delete(updateId);
    return was?.kept ?? false;
  }

  /**
   * The unfinished updates that hold the offset back and are to be kept in the database (none in the
   * common case): those HELD_BACK_AT_MOST behind the newest, and (`byAge`) those taken KEEP_AFTER_MS ago.
   */
  toKeep(now: number, byAge = true): number[] {
    const ids: number[] = [];
    for (const [id, u] of this.unfinished) if (!u.kept && (id < this.next - HELD_BACK_AT_MOST || (byAge && now - u.takenAt >= KEEP_AFTER_MS))) ids.push(id);
    return ids;
  }

  /** Written to the database: Telegram may let go of them. */
  kept(updateIds: readonly number[]): void {
    for (const id of updateIds) {
      const u = this.unfinished.get(id);
      if (u) u.kept = true;
    }
  }

  /** How many taken updates are not finished. */
  get running(): number {
    return this.unfinished.size;
  }

  /** Every update below this one is finished or kept in the database: the offset a stop confirms. */
  handledBelow(): number {
    let lowest = this.next;
    for (const [id, u] of this.unfinished) if (!u.kept) lowest = Math.min(lowest, id);
    return lowest;
  }

  /**
   * The offset for the next poll. Should the database not take an update that holds the offset
   * back, the offset still trails the newest by at most HELD_BACK_AT_MOST, so that new updates get in.
   */
  pollFrom(): number {
    return Math.max(this.handledBelow(), this.next - HELD_BACK_AT_MOST);
  }

  /** Whether the next poll hands out updates already taken (so it returns at once: no long wait). */
  redelivers(): boolean {
    return this.pollFrom() < this.next;
  }

  /** After a poll asked with `offset`, Telegram has let go of everything below it. */
  asked(offset: number): void {
    this.confirmed = Math.max(this.confirmed, offset);
  }
}
