/**
 * Per-chat flood control: at most `messages` updates per `perMs` window. The first refused update
 * gets one polite "slow down"; the rest of the flood is dropped quietly.
 */
export class ChatRateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number; warned: boolean }>();

  constructor(
    private readonly messages: number,
    private readonly perMs: number,
    private readonly now: () => number,
  ) {}

  /** 'ok' to handle, 'warn' to answer "slow down" once, 'drop' to ignore. */
  check(key: string): 'ok' | 'warn' | 'drop' {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.perMs) {
      window = { startedAt: now, count: 0, warned: false };
      this.windows.set(key, window);
      if (this.windows.size > 10_000) this.forgetOld(now);
    }
    window.count++;
    if (window.count <= this.messages) return 'ok';
    if (window.warned) return 'drop';
    window.warned = true;
    return 'warn';
  }

  private forgetOld(now: number): void {
    for (const [key, window] of this.windows) if (now - window.startedAt >= this.perMs) this.windows.delete(key);
  }
}
