/**
 * Waits until `condition` holds, looking again every `everyMs`; fails after `timeoutMs`, naming what it
 * waited for. Timed on the monotonic clock: under libfaketime (test:instants) it still waits real time.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
