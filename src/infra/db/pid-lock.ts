import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

// A lock file holding its owner's pid, created with O_EXCL. A lock whose pid no longer exists is
// stale (its process crashed or was killed) and is cleared.

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock, or returns the pid of the live process that holds it. */
export function tryPidLock(path: string): { release: () => void } | { heldBy: number } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockOwner(path);
      if (owner !== undefined && owner !== process.pid && isProcessAlive(owner)) return { heldBy: owner };
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not take the lock at ${path}.`);
}

function lockOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Waits (up to `timeoutMs`) while a live process holds the lock, then takes it. */
export async function waitForPidLock(path: string, timeoutMs: number, onTimeout: (heldBy: number) => Error): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = tryPidLock(path);
    if ('release' in attempt) return attempt.release;
    if (Date.now() > deadline) throw onTimeout(attempt.heldBy);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
