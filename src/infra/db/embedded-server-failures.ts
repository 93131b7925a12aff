import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError } from '../failure.js';
import type { EmbeddedServerLayout } from './embedded-server-layout.js';
import { isProcessAlive } from './pid-lock.js';

// The embedded server's failures, each as one line saying what to do.

const LOG_TAIL_BYTES = 8_192;

/** The size of the server's log now: what it writes from here on is read by logSince. */
export function logSize(logFile: string): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

/** What the server logged since `offset` (its last few kilobytes). */
export function logSince(logFile: string, offset: number): string {
  try {
    return readFileSync(logFile).subarray(offset).toString('utf8').slice(-LOG_TAIL_BYTES);
  } catch {
    return '';
  }
}

/** The last line of PostgreSQL's own words that says what went wrong. */
function lastComplaint(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.reverse().find((line) => /FATAL|PANIC|ERROR|error|could not|cannot|No space/i.test(line)) ?? lines[0];
}

export function explainServerFailure(step: 'initialise' | 'start' | 'stop', layout: EmbeddedServerLayout, error: unknown, logOffset = 0): OperationalError {
  const output = `${(error as { stderr?: string }).stderr ?? ''}\n${logSince(layout.logFile, logOffset)}`;
  const what = { initialise: 'create', start: 'start', stop: 'stop' }[step];
  if (/No space left on device|could not extend file|disk quota/i.test(output)) {
    return new OperationalError(
      'disk_full',
      `The disk holding ${layout.pgDir} is full, so the embedded database could not ${what}: free some space, then try again.`,
      {
        cause: error,
      },
    );
  }
  if (/Permission denied/i.test(output) && process.getuid?.() === 0) {
    return new OperationalError(
      'database',
      `The 'postgres' user, which runs the embedded database for root, cannot reach ${layout.pgDir}: put ROSHNI_HOME where every parent directory lets others pass (chmod o+x), or run Roshni as a normal user.`,
      { cause: error },
    );
  }
  const complaint = lastComplaint(output) ?? (error as Error).message;
  return new OperationalError('database', `The embedded database could not ${what} (${complaint}): see ${layout.logFile}.`, { cause: error });
}

/**
 * PostgreSQL clears a postmaster.pid (and its socket's lock file) whose pid is dead (a server killed, a machine that lost power), but
 * refuses to start while that pid belongs to a live process, even one that is no PostgreSQL (the pid was
 * reused after a reboot), or a killed server not yet reaped (a zombie, where the init process is slow to
 * reap). The caller's failed connection says no server answers here: such a file is stale.
 */
export function clearStaleServerLocks(layout: EmbeddedServerLayout): void {
  for (const file of [join(layout.dataDir, 'postmaster.pid'), join(layout.socketDir, '.s.PGSQL.5432.lock')]) clearIfStale(file);
}

function clearIfStale(file: string): void {
  if (!existsSync(file)) return;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || !isProcessAlive(pid)) return;
  const { name, zombie } = processOf(pid);
  if (zombie || name !== 'postgres') rmSync(file, { force: true });
}

function processOf(pid: number): { name: string | undefined; zombie: boolean } {
  try {
    const proc = `/proc/${pid}`;
    if (existsSync(proc)) {
      // /proc/<pid>/stat: "pid (comm) state ...", comm possibly holding spaces or parentheses.
      const stat = readFileSync(join(proc, 'stat'), 'utf8');
      return { name: readFileSync(join(proc, 'comm'), 'utf8').trim(), zombie: stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') };
    }
    const [state, command] = execFileSync('ps', ['-o', 'state=,comm=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    return { name: command?.split('/').pop(), zombie: state?.startsWith('Z') ?? false };
  } catch {
    return { name: undefined, zombie: false };
  }
}

/** A killed server's last processes may hold its shared memory for a moment after it died: worth starting again. */
export function isTransientStartFailure(logged: string): boolean {
  return /pre-existing shared memory block|lock file ".*" already exists/.test(logged);
}
