import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';

// pg_dump and pg_restore from the machine's PostgreSQL, of the same major version as the server.

export class PostgresToolNotFoundError extends Error {
  constructor(tool: string, major: number) {
    super(`${tool} for PostgreSQL ${major} was not found: install postgresql-client-${major} (or the server packages of that version).`);
    this.name = 'PostgresToolNotFoundError';
  }
}

function candidateDirs(major: number): string[] {
  const dirs = [`/usr/lib/postgresql/${major}/bin`];
  try {
    dirs.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // No pg_config.
  }
  dirs.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  return dirs;
}

function majorOf(binary: string): number | undefined {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The path of pg_dump or pg_restore whose major version is the server's. */
export function findPostgresTool(tool: 'pg_dump' | 'pg_restore', serverMajor: number): string {
  for (const dir of candidateDirs(serverMajor)) {
    const path = join(dir, tool);
    if (existsSync(path) && majorOf(path) === serverMajor) return path;
  }
  throw new PostgresToolNotFoundError(tool, serverMajor);
}

/** libpq's environment for a URL, so that the password never appears in the process list. */
export function libpqEnv(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

export class PostgresToolError extends Error {
  constructor(tool: string, code: number | null, stderr: string) {
    super(`${tool} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
    this.name = 'PostgresToolError';
  }
}

function waitFor(child: ChildProcess, tool: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new PostgresToolError(tool, code, stderr()))));
  });
}

/** pg_dump in custom format (compressed) of the snapshot exported by the caller's open transaction. */
export function startPgDump(binary: string, url: string, snapshot: string): { output: Readable; done: Promise<void> } {
  const { dbname, env } = libpqEnv(url);
  const child = spawn(binary, ['--format=custom', '--compress=6', `--snapshot=${snapshot}`, '--no-sync', `--dbname=${dbname}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { output: child.stdout!, done: waitFor(child, 'pg_dump', () => stderr) };
}

/**
 * pg_restore of a custom-format archive read from `input`, in one transaction: it all lands or
 * nothing does. `onTable` is called as each table's data is loaded (for progress).
 */
export async function runPgRestore(binary: string, url: string, input: Readable, onTable?: (table: string) => void): Promise<void> {
  const { dbname, env } = libpqEnv(url);
  const child = spawn(
    binary,
    ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '--verbose', `--dbname=${dbname}`],
    { env, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let pending = '';
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /processing data for table "(?:[^"]+)\.([^"]+)"/.exec(line);
      if (match) onTable?.(match[1]!);
    }
  });
  const done = waitFor(child, 'pg_restore', () => stderr);
  let inputError: unknown;
  input.on('error', (error) => {
    inputError = error;
    child.stdin!.destroy();
  });
  child.stdin!.on('error', () => {}); // pg_restore stopping early is reported by its exit code.
  input.pipe(child.stdin!);
  try {
    await done;
  } catch (error) {
    throw inputError ?? error;
  }
  if (inputError) throw inputError;
}
