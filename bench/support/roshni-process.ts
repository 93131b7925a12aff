import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

// The real `roshni start`, built, as a child process: the same binary a clinic runs, with its own
// configuration from the environment. Its resident memory is read from /proc while it runs.

export interface RoshniProcess {
  pid: number;
  /** The HTTP endpoints' address (GET /health), from the process's own start-up lines. */
  httpUrl: string;
  /** Resident memory now, in MB (Linux /proc), or null where that cannot be read. */
  rssMb(): number | null;
  /** SIGTERM, and the exit code once it has stopped. */
  stop(): Promise<number | null>;
}

const READY_TIMEOUT_MS = 30_000;
/** The last lines it wrote to stderr, for a failure's message (its log carries no personal data). */
const STDERR_KEPT = 4_000;

function rssOf(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

export async function startRoshni(env: Record<string, string>): Promise<RoshniProcess> {
  const home = mkdtempSync(join(tmpdir(), 'roshni-bench-home-'));
  const child = spawn(process.execPath, ['bin/roshni.js', 'start'], {
    cwd: repoRoot,
    // Only what it needs: no DATABASE_URL or token of the caller's own leaks in.
    env: { PATH: process.env.PATH ?? '', ROSHNI_HOME: home, ROSHNI_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const cleanUp = () => rmSync(home, { recursive: true, force: true });

  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roshni start was not running after ${READY_TIMEOUT_MS / 1000} s: ${stderr.trim()}`)), READY_TIMEOUT_MS);
    const check = () => {
      const url = /HTTP: (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(url);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`roshni start exited with ${code} before it was running: ${stderr.trim()}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    cleanUp();
    throw error;
  });

  return {
    pid: child.pid!,
    httpUrl,
    rssMb: () => rssOf(child.pid!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      cleanUp();
      return code;
    },
  };
}
