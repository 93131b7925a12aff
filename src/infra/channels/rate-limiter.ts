import { sleep } from './channel.js';
import { processPacing, type SharedPacing } from './shared-pacing.js';

/** Milliseconds on a clock that only moves forward: a wall-clock step (NTP) changes no pace. */
const monotonicNow = () => performance.now();

/**
 * Paces sends: at most `perSecond` overall (sends are spaced at least 1000/perSecond ms apart, so no
 * one-second window ever holds more) and at most one send per `perKeyIntervalMs` to one key (a
 * chat). `pause(ms)` holds every send (a 429's retry_after: Telegram's flood control is per bot).
 * A chat's sends go one at a time, the next `perKeyIntervalMs` after the previous one is over: it
 * reached the provider before its answer came back, so however the network delays either request,
 * they reach the provider at least that far apart. A busy chat never holds up the others. The
 * overall spacing is reserved in `pacing`: the database's, shared by every process sending through
 * the same bot, or by default this process's own.
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
    this.pausedUntil = Math.max(this.pausedUntil, monotonicNow() + ms);
    await this.pacing.pause(ms);
  }

  /**
   * Waits until this key may send and holds the key for the send; the returned function, called once
   * the send is over (sent or failed), lets the key's next send follow.
   */
  async acquire(key: string): Promise<() => void> {
    const previous = this.keyQueues.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.keyQueues.set(key, mine);
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      this.lastByKey.set(key, monotonicNow());
      if (this.keyQueues.get(key) === mine) this.keyQueues.delete(key);
      release();
    };
    try {
      await previous;
      for (;;) {
        const keyAt = Math.max(monotonicNow(), this.pausedUntil, (this.lastByKey.get(key) ?? -Infinity) + this.options.perKeyIntervalMs);
        if (keyAt > monotonicNow()) await sleep(keyAt - monotonicNow());
        const waitMs = await this.pacing.reserve(this.gapMs);
        if (waitMs > 0) await sleep(waitMs);
        if (monotonicNow() >= this.pausedUntil) return done; // a pause (ours) began meanwhile: reserve again after it
      }
    } catch (error) {
      done();
      throw error;
    }
  }
}
