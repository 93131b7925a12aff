import { sleep } from './channel.js';
import { processPacing, type SharedPacing } from './shared-pacing.js';

/**
 * Paces sends: at most `perSecond` overall (sends are spaced at least 1000/perSecond ms apart, so no
 * one-second window ever holds more) and at most one send per `perKeyIntervalMs` to one key (a
 * chat). `pause(ms)` holds every send (a 429's retry_after: Telegram's flood control is per bot).
 * A chat's sends go one at a time, its next measured from when this one really goes, so a busy
 * chat never holds up the others. The overall spacing is reserved in `pacing`: the database's,
 * shared by every process sending through the same bot, or by default this process's own.
 */
export class RateLimiter {
  private readonly gapMs: number;
  private readonly lastByKey = new Map<string, number>();
  private readonly keyQueues = new Map<string, Promise<void>>();
  private pausedUntil = 0;

  constructor(
    private readonly options: { perSecond: number; perKeyIntervalMs: number; marginMs?: number },
    private readonly pacing: SharedPacing = processPacing(),
  ) {
    this.gapMs = 1000 / options.perSecond + (options.marginMs ?? 2);
  }

  async pause(ms: number): Promise<void> {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
    await this.pacing.pause(ms);
  }

  /** Waits until this key may send, and counts the send. */
  async acquire(key: string): Promise<void> {
    const previous = this.keyQueues.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.keyQueues.set(key, mine);
    try {
      await previous;
      for (;;) {
        const keyAt = Math.max(Date.now(), this.pausedUntil, (this.lastByKey.get(key) ?? -Infinity) + this.options.perKeyIntervalMs);
        if (keyAt > Date.now()) await sleep(keyAt - Date.now());
        const waitMs = await this.pacing.reserve(this.gapMs);
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
