import { sleep } from './channel.js';
import type { SharedPacing } from './shared-pacing.js';

/**
 * Paces sends: at most `perSecond` overall (sends are spaced at least 1000/perSecond ms apart, so no
 * one-second window ever holds more) and at most one send per `perKeyIntervalMs` to one key (a
 * chat). `pause(ms)` holds every send (a 429's retry_after: Telegram's flood control is per bot).
 * Each caller reserves its own time, so a busy chat never holds up the others. With `shared`
 * pacing the overall spacing is reserved in the database, across every process sending through
 * the same bot; without it, within this process.
 */
export class RateLimiter {
  private readonly gapMs: number;
  private readonly reserved: number[] = [];
  private readonly lastByKey = new Map<string, number>();
  private pausedUntil = 0;

  private readonly keyQueues = new Map<string, Promise<void>>();

  constructor(
    private readonly options: { perSecond: number; perKeyIntervalMs: number; marginMs?: number },
    private readonly shared?: SharedPacing,
  ) {
    this.gapMs = 1000 / options.perSecond + (options.marginMs ?? 2);
  }

  async pause(ms: number): Promise<void> {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    await this.shared?.pause(ms);
  }

  /** Waits until this key may send, and counts the send. */
  async acquire(key: string): Promise<void> {
    if (this.shared) return this.acquireShared(key, this.shared);
    for (;;) {
      const now = Date.now();
      let at = Math.max(now, this.pausedUntil, (this.lastByKey.get(key) ?? -Infinity) + this.options.perKeyIntervalMs);
      // Find the first time at least gapMs away from every reserved send.
      const keepFrom = this.reserved.findIndex((t) => t > now - 2 * this.gapMs);
      this.reserved.splice(0, keepFrom === -1 ? this.reserved.length : keepFrom);
      for (const t of this.reserved) {
        if (Math.abs(t - at) < this.gapMs) at = t + this.gapMs;
      }
      this.reserved.push(at);
      this.reserved.sort((a, b) => a - b);
      this.lastByKey.set(key, at);
      if (at > now) await sleep(at - now);
      // A pause that began while we slept applies to us too: reserve again after it. Our first
      // reservation stays counted (others already spaced themselves from it), which only errs slow.
      if (Date.now() >= this.pausedUntil) return;
    }
  }

  /**
   * The chat's own gap is kept here, one send at a time per chat (its next send is measured from
   * when this one really goes); the overall pace is reserved in the database after it.
   */
  private async acquireShared(key: string, shared: SharedPacing): Promise<void> {
    const previous = this.keyQueues.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.keyQueues.set(key, mine);
    try {
      await previous;
      for (;;) {
        const keyAt = Math.max(Date.now(), this.pausedUntil, (this.lastByKey.get(key) ?? -Infinity) + this.options.perKeyIntervalMs);
        if (keyAt > Date.now()) await sleep(keyAt - Date.now());
        const waitMs = await shared.reserve(this.gapMs);
        if (waitMs > 0) await sleep(waitMs);
        if (Date.now() >= this.pausedUntil) break; // a pause (ours) began meanwhile: reserve again after it
      }
      this.lastByKey.set(key, Date.now());
    } finally {
      done();
      if (this.keyQueues.get(key) === mine) this.keyQueues.delete(key);
    }
  }
}
