/** Monotonic time in nanoseconds. */
export function now(): bigint {
  return process.hrtime.bigint();
}

export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `work` and returns its result with the wall-clock milliseconds it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = now();
  const result = await work();
  return { result, ms: msSince(start) };
}

/** Operations per second for `count` operations done in `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}
