import { spawnSync } from 'node:child_process';
import { repoRoot } from './paths.js';
import { msSince, now } from './timing.js';

/** Runs `node <args>` from the repository root to its end; its wall time in ms (a failure throws). */
export function timeNodeProcess(args: readonly string[], env?: NodeJS.ProcessEnv): number {
  const start = now();
  const child = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', ...(env ? { env } : {}) });
  const ms = msSince(start);
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${child.status ?? child.signal}: ${child.stderr.trim()}`);
  return ms;
}
