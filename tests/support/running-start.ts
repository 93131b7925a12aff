import { startCli } from './cli.js';
import { waitFor } from './wait.js';

/** `roshni start --no-http` (the built CLI) as its own process, its output kept. */
export function startRoshni(env: Record<string, string | undefined>) {
  const child = startCli(['start', '--no-http'], env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const running = () => waitFor(() => stdout.includes('Roshni is running'), 30_000, 'roshni start running');
  return { child, exit, running, stderr: () => stderr };
}

export type RunningRoshni = ReturnType<typeof startRoshni>;

/** SIGTERM, as systemd stops it: its exit code (null when killed after 15 s) and how long it took. */
export async function stopRoshni(running: RunningRoshni): Promise<{ code: number | null; ms: number }> {
  const began = performance.now();
  running.child.kill('SIGTERM');
  const code = await Promise.race([running.exit, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 15_000))]);
  if (code === 'late') running.child.kill('SIGKILL');
  return { code: code === 'late' ? null : code, ms: performance.now() - began };
}
