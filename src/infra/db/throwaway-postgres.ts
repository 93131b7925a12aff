import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverEnvironment, serverOwner, type ServerOwner } from './server-process.js';

// A disposable PostgreSQL server built from the machine's own server binaries, for the
// test suite and the benchmark. Durability is switched off: the data dies with the server.

export interface ThrowawayPostgres {
  /** Superuser URL of the server's 'postgres' database. */
  url: string;
  /** Fast shutdown, then the data directory is removed. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * A server restart, as the clinic's machine might do one: fast shutdown (every connection drops),
   * then `whileDown` runs, then the server starts again on the same port with the same data.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

export interface ThrowawayPostgresOptions {
  log?: (line: string) => void;
  /**
   * Where the data directory goes (default: the system's temporary directory). A memory-backed
   * directory such as /dev/shm spares the disk's filesystem the thousands of files a test run creates and deletes.
   */
  parentDir?: string;
}

export class PostgresBinariesNotFoundError extends Error {
  constructor(searched: string[]) {
    super(
      'PostgreSQL server binaries not found: install postgresql or set TEST_DATABASE_URL ' +
        `(looked for initdb and postgres in ${searched.join(', ') || 'no directories'}).`,
    );
    this.name = 'PostgresBinariesNotFoundError';
  }
}

const run = promisify(execFile);
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const log = options.log ?? (() => {});
  const bindir = findServerBinaries();
  const owner = serverOwner('install postgresql or set TEST_DATABASE_URL');
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'roshni-pg-'));
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const dataDir = join(dir, 'data');
    log(`initdb ${dataDir} (${bindir})`);
    await run(join(bindir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], {
      cwd: dir,
      env: serverEnvironment(),
      ...owner,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${error.stderr?.trim() || error.message}`);
    });

    // Another process may take the free port between our probe and the server's bind: retry.
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const start = () => startServer(bindir, dir, dataDir, port, owner);
      const server = start();
      try {
        await waitUntilReady(server, port, dir);
      } catch (error) {
        await stopServer(server);
        if (attempt < 3 && /could not bind|address already in use/i.test(serverLog(dir))) continue;
        throw error;
      }
      log(`PostgreSQL listening on 127.0.0.1:${port}`);
      return handle(server, start, { dir, port });
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The directory holding initdb and postgres: pg_config's, else the newest Debian-style install, else PATH. */
export function findServerBinaries(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // No pg_config: keep looking.
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).filter((name) => /^\d+(\.\d+)?$/.test(name));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (!found) throw new PostgresBinariesNotFoundError(candidates);
  return found;
}

async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function serverLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'postgres.log'), 'utf8');
  } catch {
    return '';
  }
}

function startServer(bindir: string, dir: string, dataDir: string, port: number, owner: ServerOwner | undefined): ChildProcess {
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '300',
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // The server writes its log to a file rather than a pipe nobody might drain.
  const logFd = openSync(join(dir, 'postgres.log'), 'a');
  try {
    return spawn(join(bindir, 'postgres'), args, { cwd: dir, env: serverEnvironment(), stdio: ['ignore', logFd, logFd], ...owner });
  } finally {
    closeSync(logFd);
  }
}

async function waitUntilReady(server: ChildProcess, port: number, dir: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`PostgreSQL exited during startup:\n${serverLog(dir).trim()}`);
    }
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000} s: ${(error as Error).message}\n${serverLog(dir).trim()}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGINT'); // fast shutdown: disconnect clients, abort their transactions
  const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function handle(first: ChildProcess, start: () => ChildProcess, { dir, port }: { dir: string; port: number }): ThrowawayPostgres {
  let server = first;
  // If the owner exits without stop(), take the server down with it (immediate shutdown).
  const onExit = () => server.kill('SIGQUIT');
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () =>
      (stopping ??= (async () => {
        process.off('exit', onExit);
        await stopServer(server);
        rmSync(dir, { recursive: true, force: true });
      })()),
    async restart(whileDown) {
      if (stopping) throw new Error('the throwaway PostgreSQL server was stopped for good');
      await stopServer(server);
      await whileDown?.();
      server = start();
      await waitUntilReady(server, port, dir);
    },
  };
}
