import { median, p50, p99 } from './stats.js';
import { msSince, now, perSecond, timed } from './timing.js';
import { runConcurrently, runSequentially } from './workers.js';

// Runs one batch of operations (one at a time, or spread over concurrent clients) and measures it.

export interface BatchRun {
  count: number;
  perSecond: number;
  latenciesMs: number[];
  /** CPU time of this Node process (user + system) per operation: the client's share of the cost. */
  clientCpuMs: number;
}

export async function runBatch<T>(items: readonly T[], clients: number, operation: (item: T) => Promise<unknown>): Promise<BatchRun> {
  const latenciesMs: number[] = [];
  const one = async (item: T) => {
    const start = now();
    await operation(item);
    latenciesMs.push(msSince(start));
  };
  const cpuBefore = process.cpuUsage();
  const { ms } = await timed(() => (clients === 1 ? runSequentially(items, one) : runConcurrently(items, clients, one)));
  const cpu = process.cpuUsage(cpuBefore);
  return { count: items.length, perSecond: perSecond(items.length, ms), latenciesMs, clientCpuMs: (cpu.user + cpu.system) / 1000 / items.length };
}

/** Several runs of one batch kind summarised: median throughput, latencies over all runs. */
export function summarise(runs: readonly BatchRun[]) {
  const latencies = runs.flatMap((r) => r.latenciesMs);
  return {
    perSecond: median(runs.map((r) => r.perSecond)),
    p50Ms: p50(latencies),
    p99Ms: p99(latencies),
    clientCpuMs: median(runs.map((r) => r.clientCpuMs)),
  };
}
