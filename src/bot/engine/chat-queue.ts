// Updates run concurrently across chats and one at a time within a chat, in the order they were
// taken, with at most `concurrency` running at once: a slow update (a Razorpay call, a large
// document) holds up only its own chat. Every channel hands its updates through one of these.

/** How many updates run at once, by default: room for slow outside calls while the database pool (10) stays the real limit. */
export const UPDATES_RUNNING_AT_MOST = 32;

interface Waiting {
  work: () => Promise<void>;
  done: (error?: unknown) => void;
}

export class ChatQueue {
  /** Each chat with work taken and not finished: what waits behind its running update (or its first, when none runs). */
  private readonly chats = new Map<string, Waiting[]>();
  /** Chats whose next update may start, in the order they became ready. */
  private readonly ready: string[] = [];
  private runningNow = 0;
  /** While held, waiting updates do not start (running ones go on). */
  private holding = false;
  private takenNow = 0;
  private peak = 0;
  private listeners: Array<() => void> = [];

  constructor(private readonly concurrency = UPDATES_RUNNING_AT_MOST) {
    if (!(concurrency >= 1)) throw new RangeError('a chat queue runs at least one update at a time');
  }

  /**
   * Takes an update of `chat`: it runs after the chat's earlier ones, when there is room. Resolves
   * (or rejects) as the work does.
   */
  take(chat: string, work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const item: Waiting = { work, done: (error) => (error === undefined ? resolve() : reject(error)) };
      this.takenNow += 1;
      const waiting = this.chats.get(chat);
      if (waiting) waiting.push(item);
      else {
        this.chats.set(chat, [item]);
        this.ready.push(chat);
      }
      this.pump();
    });
  }

  /** Updates taken and not finished (running or waiting). */
  get size(): number {
    return this.takenNow;
  }

  /** Whether as many updates run as may: one taken now waits. */
  get full(): boolean {
    return this.runningNow >= this.concurrency;
  }

  /** Updates running now. */
  get running(): number {
    return this.runningNow;
  }

  /** The most that ever ran at once. */
  get mostRunning(): number {
    return this.peak;
  }

  /** Resolves when the next taken update finishes, or at once when none is taken. */
  nextFinish(): Promise<void> {
    if (this.takenNow === 0) return Promise.resolve();
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  /** Resolves once every update taken so far (and any taken meanwhile) has finished. */
  async idle(): Promise<void> {
    while (this.takenNow > 0) await this.nextFinish();
  }

  /** Resolves once no update runs (while held, waiting ones stay waiting). */
  async noneRunning(): Promise<void> {
    while (this.runningNow > 0) await this.nextFinish();
  }

  /** Waiting updates do not start until release(): a stop that has cut the replies starts nothing more. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    this.pump();
  }

  private pump(): void {
    while (!this.holding && this.runningNow < this.concurrency && this.ready.length) {
      const chat = this.ready.shift()!;
      const item = this.chats.get(chat)![0]!;
      this.runningNow += 1;
      this.peak = Math.max(this.peak, this.runningNow);
      let outcome: unknown;
      void Promise.resolve()
        .then(item.work)
        .catch((error: unknown) => (outcome = error ?? new Error('update failed')))
        .finally(() => this.finish(chat, item, outcome));
    }
  }

  private finish(chat: string, item: Waiting, error: unknown): void {
    this.runningNow -= 1;
    this.takenNow -= 1;
    const waiting = this.chats.get(chat)!;
    waiting.shift();
    if (waiting.length) this.ready.push(chat);
    else this.chats.delete(chat);
    item.done(error);
    this.pump();
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
