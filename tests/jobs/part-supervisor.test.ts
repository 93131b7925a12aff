import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/infra/clock.js';
import { ServiceUnavailable } from '../../src/infra/service-unavailable.js';
import { PartSupervisor, retryDelay, type PartControl, type SupervisedPart } from '../../src/infra/part-supervisor.js';
import { waitFor } from '../support/wait.js';

// The supervisor of `roshni start`'s bots: a part whose service is down is degraded and tried again
// with capped, jittered backoff, logged once per change of state, and nothing it does outlives a stop.

const clock = fixedClock('2026-12-01T06:30:00Z');
const quick = { firstDelayMs: 10, maxDelayMs: 40 };

function supervisor(retry = quick) {
  const lines: string[] = [];
  const kept = new PartSupervisor<{ stop(): Promise<void> }>({ clock, log: (line) => lines.push(line), given: {}, retry });
  return { kept, lines };
}

const until = (what: string, condition: () => boolean, timeoutMs = 5_000) => waitFor(condition, timeoutMs, what, 5);

/** A part whose service refuses `failures` times, then works; it records each start and release. */
function flakyPart(failures: number, reason = 'Bot API unreachable') {
  const seen = { starts: 0, released: 0, controls: [] as PartControl[] };
  const part: SupervisedPart<{ stop(): Promise<void> }> = {
    name: 'telegram',
    async start(control) {
      seen.starts++;
      seen.controls.push(control);
      if (seen.starts <= failures) throw new ServiceUnavailable(reason);
      return { stop: async () => void seen.released++ };
    },
  };
  return { part, seen };
}

describe('the part supervisor', () => {
  it('waits between half and all of a doubling delay, never more than the cap', () => {
    const policy = { firstDelayMs: 1_000, maxDelayMs: 60_000 };
    expect([0, 1, 2, 3].map((n) => retryDelay(policy, n, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelay(policy, 2, () => 0)).toBe(2_000);
    expect(retryDelay(policy, 12, () => 1)).toBe(60_000);
    expect(retryDelay(policy, 500, () => 0.5)).toBe(45_000);
  });

  it('reports a failing part degraded since its first failure, logs it once, and runs it when its service answers', async () => {
    const { kept, lines } = supervisor();
    const { part, seen } = flakyPart(3);
    kept.add(part);
    expect(kept.report()).toEqual([{ name: 'telegram', state: 'starting', since: '2026-12-01T06:30:00.000Z' }]);
    await until('degraded', () => kept.report()[0]!.state === 'degraded');
    expect(kept.report()[0]).toEqual({ name: 'telegram', state: 'degraded', since: '2026-12-01T06:30:00.000Z', reason: 'Bot API unreachable' });
    await until('running', () => kept.report()[0]!.state === 'running');
    expect(seen.starts).toBe(4);
    expect(lines).toEqual([
      'telegram: degraded: Bot API unreachable; trying again in the background.',
      'telegram: running again (degraded since 2026-12-01T06:30:00.000Z).',
    ]);
    expect(kept.running()).toHaveLength(1);
    await kept.stop();
    expect(seen.released).toBe(1);
  });

  it('lets go of a part that lost its service, reports it degraded, and starts it afresh', async () => {
    const { kept, lines } = supervisor();
    const { part, seen } = flakyPart(0);
    kept.add(part);
    await until('running', () => kept.report()[0]!.state === 'running');
    seen.controls[0]!.lost(new ServiceUnavailable('disconnected (CONFLICT)'));
    await until('started again', () => seen.starts === 2 && kept.report()[0]!.state === 'running');
    expect(seen.released).toBe(1);
    expect(lines).toEqual([
      'telegram: running.',
      'telegram: degraded: disconnected (CONFLICT); trying again in the background.',
      expect.stringMatching(/^telegram: running again/),
    ]);
    await kept.stop();
  });

  it('names an unexpected error by its class only, never its message', async () => {
    const { kept } = supervisor();
    kept.add({ name: 'whatsapp', start: async () => Promise.reject(new TypeError('chat 919800011122@c.us: boom')) });
    await until('degraded', () => kept.report()[0]!.state === 'degraded');
    expect(kept.report()[0]!.reason).toBe('unexpected TypeError');
    await kept.stop();
  });

  it('waits at least as long as the service asked (a 429 retry_after)', async () => {
    const { kept } = supervisor();
    const starts: number[] = [];
    kept.add({
      name: 'telegram',
      async start() {
        starts.push(performance.now());
        if (starts.length === 1) throw new ServiceUnavailable('rate limited', { retryAfterMs: 300 });
        return { stop: async () => {} };
      },
    });
    await until('running', () => kept.report()[0]!.state === 'running');
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(290);
    await kept.stop();
  });

  it('stops at once during a long wait and during a start that hangs, and lets go of a start that ends after the stop', async () => {
    const { kept } = supervisor({ firstDelayMs: 60_000, maxDelayMs: 60_000 });
    kept.add({ name: 'waiting', start: async () => Promise.reject(new ServiceUnavailable('down')) });
    kept.add({
      name: 'hanging',
      start: (control) => new Promise((_, reject) => control.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    let finishLate: () => void = () => {};
    let lateReleased = false;
    kept.add({
      name: 'deaf',
      start: () => new Promise((resolve) => (finishLate = () => resolve({ stop: async () => void (lateReleased = true) }))),
    });
    await until('the first one degraded', () => kept.report()[0]!.state === 'degraded');
    const began = performance.now();
    const stopping = kept.stop();
    finishLate();
    await stopping;
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(lateReleased).toBe(true);
  });
});
