import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';

// pg_dump and pg_restore from the machine's PostgreSQL, of the same major version as the server.

export class PostgresToolNotFoundError extends Error {
  constructor(tool: string, major: number) {
    super(`${tool} for PostgreSQL ${major} was not found: install postgresql-client-${major} (or the server packages of that version).`);
    this.name = 'PostgresToolNotFoundError';
  }
}

/** Where to look, most likely first; each directory is only computed if the ones before it fail. */
function* candidateDirs(major: number): Generator<{ dir: string; versionKnown: boolean }> {
  // Debian's layout names the major version in the path: no need to ask the binary.
  yield { dir: `/usr/lib/postgresql/${major}/bin`, versionKnown: true };
  try {
    yield { dir: execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(), versionKnown: false };
  } catch {
    // No pg_config.
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) yield { dir, versionKnown: false };
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

const found = new Map<string, string>();

/** The path of pg_dump, pg_restore or psql whose major version is the server's (looked up once per process). */
export function findPostgresTool(tool: 'pg_dump' | 'pg_restore' | 'psql', serverMajor: number): string {
  const key = `${tool}@${serverMajor}`;
  const known = found.get(key);
  if (known && existsSync(known)) return known;
  for (const { dir, versionKnown } of candidateDirs(serverMajor)) {
    const path = join(dir, tool);
    if (existsSync(path) && (versionKnown || majorOf(path) === serverMajor)) {
      found.set(key, path);
      return path;
    }
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
export function startPgDump(binary: string, url: string, snapshot: string): { output: Readable; done: Promise<void>; stop: () => void } {
  const { dbname, env } = libpqEnv(url);
  const child = spawn(binary, ['--format=custom', '--compress=6', `--snapshot=${snapshot}`, '--no-sync', `--dbname=${dbname}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Taken up at once: Node discards the output of a child that exits before anyone reads it, which a
  // small dump does while the caller is still counting rows or deriving the encryption key. Unread,
  // the PassThrough holds up to 1 MiB and then holds pg_dump back through the pipe.
  const output = child.stdout!.pipe(new PassThrough({ highWaterMark: 1024 * 1024 }));
  return { output, done: waitFor(child, 'pg_dump', () => stderr), stop: () => child.kill('SIGKILL') };
}

/** Reports each table as pg_restore --verbose starts loading its data (for progress). */
function tableProgress(stderr: Readable, onTable: ((table: string) => void) | undefined): () => string {
  let all = '';
  let pending = '';
  stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    all += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /processing data for table "(?:[^"]+)\.([^"]+)"/.exec(line);
      if (match) onTable?.(match[1]!);
    }
  });
  return () => all;
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
  const stderr = tableProgress(child.stderr!, onTable);
  const done = waitFor(child, 'pg_restore', stderr);
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

/**
 * Replaces a database's contents with a custom-format archive in ONE transaction: psql runs `before`
 * (dropping the old schema), the archive as pg_restore writes it out as SQL, and `after` (checks,
 * bookkeeping), between one BEGIN and one COMMIT. psql's input is closed, letting it reach COMMIT,
 * only once pg_restore has exited successfully; if pg_restore or the input fails, psql is killed
 * while its transaction is still open and the server rolls everything back: the old data stays.
 */
export async function replaceWithArchive(
  tools: { pgRestore: string; psql: string },
  url: string,
  input: Readable,
  sql: { before: string; after: string },
  onTable?: (table: string) => void,
): Promise<void> {
  const { dbname, env } = libpqEnv(url);
  const restore = spawn(tools.pgRestore, ['--no-owner', '--no-privileges', '--exit-on-error', '--verbose', '--file=-'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const psql = spawn(
    tools.psql,
    ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', `--dbname=${dbname}`, '--command', before(sql.before), '--file=-', '--command', sql.after],
    { env, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const restoreErr = tableProgress(restore.stderr!, onTable);
  let psqlErr = '';
  psql.stderr!.on('data', (d: Buffer) => (psqlErr += d.toString()));
  const restored = waitFor(restore, 'pg_restore', restoreErr);
  const applied = waitFor(psql, 'psql', () => psqlErr);
  applied.catch(() => restore.kill('SIGKILL')); // psql stopped on an error: nothing left to write to
  let inputError: unknown;
  input.on('error', (error) => {
    inputError = error;
    restore.stdin!.destroy();
  });
  restore.stdin!.on('error', () => {}); // pg_restore stopping early is reported by its exit code.
  psql.stdin!.on('error', () => {}); // so is psql stopping early, on an error in the SQL.
  input.pipe(restore.stdin!);
  restore.stdout!.pipe(psql.stdin!, { end: false });
  try {
    await restored;
    if (inputError) throw inputError;
  } catch (error) {
    const psqlStoppedFirst = psql.exitCode !== null && psql.exitCode !== 0;
    psql.kill('SIGKILL'); // its input is still open: it cannot have committed
    const psqlError = await applied.then(() => null, (e: unknown) => e);
    throw inputError ?? (psqlStoppedFirst ? psqlError : error);
  }
  psql.stdin!.end();
  await applied;
}

function before(sql: string): string {
  return `SET client_min_messages = warning; ${sql}`;
}
