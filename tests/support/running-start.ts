import { startCli } from './cli.js';
import { waitFor } from './wait.js';

/** `roshni start --no-http` (the built CLI) as its own process, its output kept. */
export function startRoshni(env: Record<string, string | undefined>) {
  const child = startCli(['start', '--no-http'], env);
  let stdout = '';
  let stderr = '';
  // Both streams as they came, for what start logs on either and for a failure's message.
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    output += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  /** Waits until start's output satisfies `check`; a timeout fails with that output, to see why. */
  const until = (check: (output: string) => boolean, timeoutMs: number, what: string) =>
    waitFor(() => check(output), timeoutMs, what, 100).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
  const running = (timeoutMs = 30_000) => waitFor(() => stdout.includes('Roshni is running'), timeoutMs, 'roshni start running');
  return { child, exit, running, until, stdout: () => stdout, stderr: () => stderr, output: () => output };
}

export type RunningRoshni = ReturnType<typeof startRoshni>;

/** SIGTERM, as systemd stops it: its exit code (null when killed after `graceMs`) and how long it took. */
export async function stopRoshni(running: RunningRoshni, graceMs = 15_000): Promise<{ code: number | null; ms: number }> {
  const began = performance.now();
  running.child.kill('SIGTERM');
  const code = await Promise.race([running.exit, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs))]);
  if (code === 'late') running.child.kill('SIGKILL');
  return { code: code === 'late' ? null : code, ms: performance.now() - began };
}
