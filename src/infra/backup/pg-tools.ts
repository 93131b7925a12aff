import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { killProcessGroup, spawnInOwnGroup } from './process-group.js';
import { ConfigError } from '../config.js';
import { withoutSecrets } from '../db/connection-url.js';
import { OWNER_AT_WORK_OPTIONS } from '../db/row-security.js';
import { OperationalError } from '../failure.js';

// pg_dump and pg_restore from the machine's PostgreSQL, of the same major version as the server.

export class PostgresToolNotFoundError extends OperationalError {
  constructor(tool: string, major: number) {
    super('configuration', `${tool} for PostgreSQL ${major} was not found: install postgresql-client-${major} (or the server packages of that version).`);
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

/**
 * libpq's environment for a URL, so that no secret appears in the process list: the password (of
 * `user:password@` or `?password=`) goes in PGPASSWORD. An `sslpassword` has no variable of libpq's
 * to go in, so it is refused rather than put on a command line every user of the machine can read.
 */
export function libpqEnv(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const { url: dbname, password, secretParameters } = withoutSecrets(url);
  if (secretParameters.some((name) => name.toLowerCase() !== 'password')) {
    throw new ConfigError(
      'DATABASE_URL',
      "has an sslpassword, which pg_dump, pg_restore and psql could only be given on their command line, readable by every user of the machine: use a client key without a passphrase, readable only by Roshni's user",
    );
  }
  // Dumping and restoring are the owner's work: the clinical tables' rows are theirs only with this on (migration 0020).
  return { dbname, env: { ...process.env, PGOPTIONS: OWNER_AT_WORK_OPTIONS, ...(password ? { PGPASSWORD: password } : {}) } };
}

export class PostgresToolError extends OperationalError {
  constructor(tool: string, code: number | null, stderr: string) {
    super('unexpected', `${tool} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
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
  const child = spawn(binary, ['--format=custom', '--compress=6', `--snapshot=${snapshot}`, '--no-sync', '--enable-row-security', `--dbname=${dbname}`], {
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
    ['--no-owner', '--no-privileges', '--enable-row-security', '--single-transaction', '--exit-on-error', '--verbose', `--dbname=${dbname}`],
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

export class ArchiveUnreadableError extends OperationalError {
  constructor(detail: string) {
    super('invalid', `pg_restore could not read the backup's contents (${detail}); nothing was restored: the database is as it was.`);
    this.name = 'ArchiveUnreadableError';
  }
}

/**
 * An archive whose statements themselves are garbled (bytes altered inside its table of contents, which
 * pg_restore passes on as text) fails in psql rather than in pg_restore: that is a damaged file too.
 */
function damagedText(error: unknown): boolean {
  return /invalid byte sequence|syntax error at or near|unterminated (quoted|dollar)|invalid input syntax/.test((error as Error)?.message ?? '');
}

/** How a restore's psql session is told apart in pg_stat_activity (and by tests). */
export const RESTORE_APPLICATION_NAME = 'roshni-restore';

/**
 * Replaces a database's contents with a custom-format archive in ONE transaction. Roshni writes psql's
 * whole input itself: BEGIN, `before` (dropping the old schema), the archive as pg_restore writes it
 * out as SQL, `after` (the checks, which raise on a mismatch) and a marker psql echoes once the checks
 * have passed. Only then, and only after pg_restore has exited cleanly, does Roshni write COMMIT.
 * psql's input cut anywhere before that (Roshni killed, pg_restore failing) ends a session whose
 * transaction is still open, and the server rolls it back: the old data stays. psql's server session
 * checks every second that psql is still there (client_connection_check_interval), so a killed psql
 * does not leave a long statement holding the restore's locks.
 */
export async function replaceWithArchive(
  tools: { pgRestore: string; psql: string },
  url: string,
  input: Readable,
  sql: { before: string; after: string },
  onTable?: (table: string) => void,
): Promise<void> {
  const { dbname, env } = libpqEnv(url);
  const restore = spawnInOwnGroup(tools.pgRestore, ['--no-owner', '--no-privileges', '--enable-row-security', '--exit-on-error', '--verbose', '--file=-'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const psql = spawnInOwnGroup(tools.psql, ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--dbname=${dbname}`, '--file=-'], {
    env: { ...env, PGAPPNAME: RESTORE_APPLICATION_NAME, PGOPTIONS: `${OWNER_AT_WORK_OPTIONS} -c client_connection_check_interval=1000` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const restoreErr = tableProgress(restore.stderr!, onTable);
  let psqlErr = '';
  psql.stderr!.on('data', (d: Buffer) => (psqlErr += d.toString()));
  const checked = `roshni-checks-passed-${randomBytes(8).toString('hex')}`;
  const checksPassed = lineOn(psql.stdout!, checked);
  const restored = waitFor(restore, 'pg_restore', restoreErr);
  const applied = waitFor(psql, 'psql', () => psqlErr);
  applied.catch(() => killProcessGroup(restore)); // psql stopped on an error: nothing left to write to
  let inputError: unknown;
  input.on('error', (error) => {
    inputError = error;
    restore.stdin!.destroy();
  });
  restore.stdin!.on('error', () => {}); // pg_restore stopping early is reported by its exit code.
  psql.stdin!.on('error', () => {}); // so is psql stopping early, on an error in the SQL.
  psql.stdin!.write(`SET client_min_messages = warning;\nBEGIN;\n${sql.before}\n`);
  input.pipe(restore.stdin!);
  restore.stdout!.pipe(psql.stdin!, { end: false });
  try {
    try {
      await restored;
      if (inputError) throw inputError;
    } catch (error) {
      const psqlStoppedFirst = psql.exitCode !== null && psql.exitCode !== 0;
      killProcessGroup(psql); // its transaction is still open: it cannot have committed
      const psqlError = await applied.then(
        () => null,
        (e: unknown) => e,
      );
      if (inputError) throw inputError;
      if (psqlStoppedFirst) throw damagedText(psqlError) ? new ArchiveUnreadableError((psqlError as Error).message) : psqlError;
      throw new ArchiveUnreadableError((error as Error).message);
    }
    psql.stdin!.write(`\n${sql.after}\n\\echo ${checked}\n`);
    await Promise.race([checksPassed, applied.then(() => Promise.reject(new PostgresToolError('psql', psql.exitCode, psqlErr)))]).catch((error: unknown) => {
      throw damagedText(error) ? new ArchiveUnreadableError((error as Error).message) : error;
    });
    psql.stdin!.end('COMMIT;\n');
    await applied;
  } finally {
    killProcessGroup(restore);
    killProcessGroup(psql);
  }
}

/** Resolves when `marker` appears as a line of the stream (which is read to its end either way). */
function lineOn(stream: Readable, marker: string): Promise<void> {
  return new Promise((resolve) => {
    let tail = '';
    stream.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-(marker.length + 2) * 2);
      if (tail.includes(`${marker}\n`)) resolve();
    });
  });
}
