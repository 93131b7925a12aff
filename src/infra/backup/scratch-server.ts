import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { serverSettings, type EmbeddedServerLayout } from '../db/embedded-server-layout.js';
import { serverEnvironment, type ServerOwner } from '../db/server-process.js';
import { readTar } from './ustar.js';

// An embedded backup's data directory unpacked and started by a server of its own (same binaries,
// its own socket directory, never the clinic's): the WAL in it is replayed to the backup's end, and
// verify and restore read it there. Its files belong to the server's OS user (postgres, run as root).

const run = promisify(execFile);
const START_TIMEOUT_S = 300;

export interface ScratchServer {
  dataDir: string;
  /** The superuser's URL over the scratch server's own socket. */
  url: string;
  /** Stops it cleanly (a shutdown checkpoint): its data directory can then be started anywhere. */
  stop(): Promise<void>;
  /** Stops it at once and removes its data directory. */
  discard(): Promise<void>;
}

export class ScratchServerError extends Error {
  constructor(detail: string) {
    super(`its data directory would not start (${detail})`);
    this.name = 'ScratchServerError';
  }
}

/** Unpacks the gzipped tar `payload` into `dataDir`, which must not exist (its parent must). */
export async function unpackDataDirectory(payload: Readable, dataDir: string, owner: ServerOwner | undefined): Promise<void> {
  const own = (path: string) => {
    if (owner) chownSync(path, owner.uid, owner.gid);
  };
  mkdirSync(dataDir, { mode: 0o700 });
  own(dataDir);
  const gunzip = createGunzip();
  payload.on('error', (error) => gunzip.destroy(error));
  payload.pipe(gunzip);
  await readTar(gunzip, async (entry) => {
    const path = join(dataDir, entry.name);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (entry.type === 'directory') {
      mkdirSync(path, { recursive: true, mode: 0o700 });
      own(path);
      return { write: async () => {}, close: async () => {} };
    }
    const handle = await open(path, 'wx', 0o600);
    own(path);
    return { write: async (chunk) => void (await handle.write(chunk)), close: () => handle.close() };
  });
}

/** Starts a server on the data directory at `dataDir` (an unpacked embedded backup). */
export async function startScratchServer(dataDir: string, binDir: string, owner: ServerOwner | undefined): Promise<ScratchServer> {
  const socketDir = mkdtempSync(join(tmpdir(), 'roshni-scratch-'));
  if (owner) chownSync(socketDir, owner.uid, owner.gid);
  chmodSync(socketDir, 0o700);
  const logFile = join(socketDir, 'postgres.log');
  // The backup's own roshni.conf names the clinic's socket: this server listens on its own.
  const settings = join(dataDir, 'roshni.conf');
  writeFileSync(settings, serverSettings({ socketDir } as EmbeddedServerLayout), { mode: 0o600 });
  if (owner) chownSync(settings, owner.uid, owner.gid);
  const pgCtl = (args: string[]) =>
    run(join(binDir, 'pg_ctl'), [...args, '-D', dataDir, '-w', '-t', String(START_TIMEOUT_S), '-s'], { cwd: socketDir, env: serverEnvironment(), ...owner });
  const removeSocketDir = () => rmSync(socketDir, { recursive: true, force: true });
  try {
    await pgCtl(['start', '-l', logFile]);
  } catch (error) {
    const said = lastWords(logFile) ?? (error as { stderr?: string }).stderr?.trim() ?? (error as Error).message;
    await run(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-s'], { cwd: socketDir, env: serverEnvironment(), ...owner }).catch(() => {});
    removeSocketDir();
    throw new ScratchServerError(said);
  }
  return {
    dataDir,
    url: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`,
    stop: async () => {
      await pgCtl(['stop', '-m', 'fast']);
      removeSocketDir();
    },
    discard: async () => {
      await pgCtl(['stop', '-m', 'immediate']).catch(() => {});
      removeSocketDir();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The server log's last complaint: why it would not start. */
function lastWords(logFile: string): string | undefined {
  try {
    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    return (
      [...lines]
        .reverse()
        .find((line) => /FATAL|PANIC/.test(line))
        ?.trim() ?? lines.at(-1)?.trim()
    );
  } catch {
    return undefined;
  }
}
