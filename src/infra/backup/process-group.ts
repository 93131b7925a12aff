import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

// pg_restore and psql must not outlive the restore that started them: psql holding the restore's
// transaction open (and its locks) after Roshni is gone would keep the clinic waiting. Each runs in a
// process group of its own, killed with Roshni's exit or on a signal Roshni is asked to stop by. A
// SIGKILL of Roshni cannot be caught: then the pipes are the watchdog (psql reads its SQL from
// Roshni, so it sees the end of its input without a COMMIT, and pg_restore's output has no reader).

const living = new Set<ChildProcess>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function killAll(): void {
  for (const child of living) killGroup(child);
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  stopWatching();
  // Dies of the signal as it would have without this handler (unless the program handles it too).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function startWatching(): void {
  process.on('exit', killAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function stopWatching(): void {
  process.off('exit', killAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Spawns a child leading a process group of its own, which is killed when this process exits or is signalled. */
export function spawnInOwnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  if (living.size === 0) startWatching();
  living.add(child);
  child.once('exit', () => {
    living.delete(child);
    if (living.size === 0) stopWatching();
  });
  child.once('error', () => {
    living.delete(child);
    if (living.size === 0) stopWatching();
  });
  return child;
}

/** Kills the child's whole process group now. */
export function killProcessGroup(child: ChildProcess): void {
  killGroup(child);
}
