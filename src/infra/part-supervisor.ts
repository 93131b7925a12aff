import type { Clock } from './clock.js';
import type { StartPartReport } from './health/health.js';
import { ServiceUnavailable } from './service-unavailable.js';

// The parts of `roshni start` that need an outside service (the patient bots) start in the
// background and are kept going here, each on its own: while its service is down a part is
// degraded and tried again with capped exponential backoff with jitter; one that loses its service
// later is let go and started afresh. Each change of state is logged once and shown by GET /health.
// Stopping aborts every attempt and wait in progress, then lets go of what each part holds.

/** What a started part holds and lets go of. */
export interface Releasable {
  stop(): Promise<void>;
}

/** Given to each attempt at starting a part. */
export interface PartControl {
  /** Aborted when `roshni start` stops: an attempt in progress gives up at once. */
  signal: AbortSignal;
  /** The part lost its service after it started: it is let go and started again. */
  lost(reason: unknown): void;
}

/** `C` is what each start is given: the PartControl, and whatever the supervisor's owner adds (the domain context, say). */
export interface SupervisedPart<H extends Releasable, C extends PartControl = PartControl> {
  name: string;
  /** How the log names it ('Telegram bot (long polling)'); the name by default. */
  label?: string;
  /** Connects the part; rejects (a ServiceUnavailable) while its service cannot be used. */
  start(control: C): Promise<H>;
}

export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 1_000, maxDelayMs: 60_000 };

/** How long a part may take to let go (when stopping, or after losing its service) before it is left. */
export const RELEASE_GRACE_MS = 5_000;

/** The n-th wait (from 0): between half and all of min(max, first·2ⁿ), so that restarted processes do not retry in step. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Why a part is down, fit to log: a ServiceUnavailable's kind, else only the error's class (a message may carry data). */
export function reasonOf(error: unknown): string {
  if (error instanceof ServiceUnavailable) return error.kind;
  return `unexpected ${error instanceof Error ? error.name : 'failure'}`;
}

interface Tracked<H extends Releasable, X extends object> {
  part?: SupervisedPart<H, PartControl & X>;
  label: string;
  report: StartPartReport;
  handle?: H;
  loop?: Promise<void>;
  done: boolean;
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', wake);
      resolve();
    }, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

/** Whether the work finished (or failed) within `ms`. */
export async function finishedWithin(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const STOPPED = Symbol('stopped');

/** Keeps parts going; `given` is handed to every start of every part, with its PartControl. */
export class PartSupervisor<H extends Releasable, X extends object = object> {
  private readonly tracked: Array<Tracked<H, X>> = [];
  private readonly stopping = new AbortController();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: { clock: Clock; log: (line: string) => void; given: X; retry?: RetryPolicy; random?: () => number }) {
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** A part that runs in this process with nothing outside to wait for (the HTTP server, the dispatcher): listed as running. */
  steady(name: string): void {
    this.tracked.push({ label: name, report: { name, state: 'running', since: this.now() }, done: true });
  }

  /** Starts the part in the background; report() shows it as starting at once. */
  add(part: SupervisedPart<H, PartControl & X>): void {
    const entry: Tracked<H, X> = { part, label: part.label ?? part.name, report: { name: part.name, state: 'starting', since: this.now() }, done: false };
    this.tracked.push(entry);
    entry.loop = this.keep(entry).finally(() => (entry.done = true));
  }

  report(): StartPartReport[] {
    return this.tracked.map((t) => ({ ...t.report }));
  }

  /** What the parts running now hold (their WhatsApp client, say). */
  running(): H[] {
    return this.tracked.flatMap((t) => (t.handle ? [t.handle] : []));
  }

  /** Aborts every attempt and wait, lets go of every running part, and waits for that (a few seconds at most). */
  async stop(): Promise<void> {
    this.stopping.abort();
    const loops = this.tracked.flatMap((t) => (t.loop ? [t.loop] : []));
    if (await finishedWithin(RELEASE_GRACE_MS + 500, Promise.all(loops))) return;
    for (const t of this.tracked.filter((t) => !t.done)) this.options.log(`${t.label}: did not let go while stopping; left behind.`);
  }

  private now(): string {
    return this.options.clock.now().toISOString();
  }

  private async keep(entry: Tracked<H, X>): Promise<void> {
    const { signal } = this.stopping;
    let attempt = 0;
    while (!signal.aborted) {
      let end: (reason: unknown) => void = () => {};
      const ended = new Promise<unknown>((resolve) => (end = resolve));
      const onStop = () => end(STOPPED);
      signal.addEventListener('abort', onStop, { once: true });
      try {
        let handle: H;
        try {
          handle = await entry.part!.start({ ...this.options.given, signal, lost: (reason: unknown) => end(reason) });
        } catch (error) {
          if (signal.aborted) return;
          this.degraded(entry, error);
          await pause(this.delay(error, attempt++), signal);
          continue;
        }
        entry.handle = handle;
        if (!signal.aborted) this.runningNow(entry);
        const startedAt = performance.now();
        const reason = await ended;
        entry.handle = undefined;
        await this.release(entry, handle);
        if (reason === STOPPED) return;
        // A part that ran a good while starts its backoff afresh; one that keeps failing soon after starting does not.
        if (performance.now() - startedAt > this.retry.maxDelayMs) attempt = 0;
        this.degraded(entry, reason);
        await pause(this.delay(reason, attempt++), signal);
      } finally {
        signal.removeEventListener('abort', onStop);
      }
    }
  }

  private delay(reason: unknown, attempt: number): number {
    const asked = reason instanceof ServiceUnavailable ? (reason.retryAfterMs ?? 0) : 0;
    return Math.max(retryDelay(this.retry, attempt, this.options.random), asked);
  }

  private async release(entry: Tracked<H, X>, handle: H): Promise<void> {
    const stopped = handle.stop().catch((error: unknown) => this.options.log(`${entry.label}: letting go failed (${reasonOf(error)}).`));
    if (!(await finishedWithin(RELEASE_GRACE_MS, stopped)))
      this.options.log(`${entry.label}: did not let go within ${RELEASE_GRACE_MS / 1000} s; left behind.`);
  }

  private runningNow(entry: Tracked<H, X>): void {
    const was = entry.report;
    entry.report = { name: was.name, state: 'running', since: this.now() };
    this.options.log(was.state === 'degraded' ? `${entry.label}: running again (degraded since ${was.since}).` : `${entry.label}: running.`);
  }

  private degraded(entry: Tracked<H, X>, error: unknown): void {
    const reason = reasonOf(error);
    const was = entry.report;
    if (was.state === 'degraded' && was.reason === reason) return;
    entry.report = { name: was.name, state: 'degraded', since: was.state === 'degraded' ? was.since : this.now(), reason };
    this.options.log(
      was.state === 'degraded' ? `${entry.label}: still degraded, now ${reason}.` : `${entry.label}: degraded: ${reason}; trying again in the background.`,
    );
  }
}
