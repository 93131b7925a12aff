import { describe, expect, it } from 'vitest';
import { HELD_BACK_AT_MOST, KEEP_AFTER_MS, TelegramOffsets } from '../../src/bot/channels/telegram-offsets.js';

// What long polling tells Telegram: never an offset past an update that is neither handled nor kept
// in the database; an update that holds the offset back (slow, or far behind the newest) is to be
// kept, and then the offset passes it and polling may wait for new updates again. Times are given.

describe('the Telegram offsets', () => {
  it('holds the offset at an unfinished update until it is kept, then moves past it to a long poll', () => {
    const offsets = new TelegramOffsets();
    for (const id of [10, 11, 12]) offsets.taken(id, 0);
    offsets.finished(11);
    offsets.finished(12);
    expect(offsets.pollFrom()).toBe(10);
    expect(offsets.redelivers()).toBe(true);
    expect(offsets.toKeep(KEEP_AFTER_MS - 1)).toEqual([]); // quick updates are never written
    expect(offsets.toKeep(KEEP_AFTER_MS, false)).toEqual([]); // every update slot busy: slow alone is no reason
    expect(offsets.toKeep(KEEP_AFTER_MS)).toEqual([10]);
    offsets.kept([10]);
    expect(offsets.pollFrom()).toBe(13);
    expect(offsets.redelivers()).toBe(false);
    expect(offsets.toKeep(10 * KEEP_AFTER_MS)).toEqual([]);
    expect(offsets.finished(10)).toBe(true); // its row is to be deleted
    expect(offsets.finished(12)).toBe(false);
  });

  it('keeps an update once HELD_BACK_AT_MOST newer ones were taken after it, however young', () => {
    const offsets = new TelegramOffsets();
    offsets.taken(1, 0);
    for (let id = 2; id <= HELD_BACK_AT_MOST; id++) {
      offsets.taken(id, 0);
      offsets.finished(id);
    }
    expect(offsets.toKeep(0)).toEqual([]);
    offsets.taken(HELD_BACK_AT_MOST + 1, 0);
    expect(offsets.toKeep(0)).toEqual([1]);
    expect(offsets.toKeep(0, false)).toEqual([1]);
    // Not kept (the database refused): the offset still trails the newest by at most HELD_BACK_AT_MOST.
    expect(offsets.pollFrom()).toBe(2);
    expect(offsets.handledBelow()).toBe(1);
  });

  it('takes an update left in the database as kept: it holds nothing back, and Telegram handing it out again is not new', () => {
    const offsets = new TelegramOffsets();
    offsets.taken(40, 0, true);
    expect(offsets.handledBelow()).toBe(41);
    expect(offsets.isNew(40)).toBe(false);
    expect(offsets.isNew(41)).toBe(true);
    expect(offsets.has(40)).toBe(true);
  });
});
