import { sleep } from './channel.js';

/**
 * Paces sends in one process: at most `perSecond` overall (sends are spaced at least
 * 1000/perSecond ms apart, so no one-second window ever holds more) and at most one send per
 * `perKeyIntervalMs` to one key (a chat). `pause(ms)` holds every send (a 429's retry_after:
 * Telegram's flood control is per bot). Each caller reserves its own time, so a busy chat never
 * holds up the others.
 */
export class RateLimiter {
  private readonly gapMs: number;
  private readonly reserved: number[] = [];
  private readonly lastByKey = new Map<string, number>();
  private pausedUntil = 0;

  constructor(private readonly options: { perSecond: number; perKeyIntervalMs: number; marginMs?: number }) {
    this.gapMs = 1000 / options.perSecond + (options.marginMs ?? 2);
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Waits until this key may send, and counts the send. */
  async acquire(key: string): Promise<void> {
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
}
