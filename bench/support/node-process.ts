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

export interface TimedCommand {
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Each command's wall times as a process over `runs` rounds, after `warmups` rounds left out. The commands
 * alternate within a round, which spreads any drift in the machine's load over all of them alike.
 */
export function timeAlternating<K extends string>(commands: Record<K, TimedCommand>, rounds: { warmups: number; runs: number }): Record<K, number[]> {
  const names = Object.keys(commands) as K[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < rounds.warmups + rounds.runs; i++) {
    for (const name of names) {
      const ms = timeNodeProcess(commands[name].args, commands[name].env);
      if (i >= rounds.warmups) times[name].push(ms);
    }
  }
  return times;
}
