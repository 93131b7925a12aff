import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { OperationalError } from '../failure.js';
import { DataDirArchive } from './data-dir-archive.js';

// A backup of the embedded PostgreSQL server, which ships no pg_dump: PostgreSQL's low-level base
// backup (pg_backup_start, a copy of the data directory, pg_backup_stop, the WAL between them). The
// copy is made while the clinic works; what it restores to is the server's state at pg_backup_stop,
// so the manifest is counted right before it, in the same transaction, with every table locked
// against writes (SHARE: reads go on; writers wait the few milliseconds the counting takes).

const WAL_FILE = /^[0-9A-F]{24}$/;
/** Our wait for the tables' locks, given up and tried again so that a writer waiting on us is never the one a deadlock ends. */
const LOCK_WAIT = '200ms';
const LOCK_ATTEMPTS = 150;
const LOCK_NOT_AVAILABLE = '55P03';

export class TablesBusyError extends OperationalError {
  constructor() {
    super('database', 'The backup could not lock the clinic tables to count them: they stayed busy for about a minute. Nothing was written: try again.');
    this.name = 'TablesBusyError';
  }
}

/**
 * Writes the gzipped tar of the base backup to `archivePath` on the caller's one connection (the
 * backup's session) and returns what `describe` found in the locked transaction that ended it.
 */
export async function takeBaseBackup<T>(conn: Kysely<any>, dataDir: string, archivePath: string, describe: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  const startFile = await conn.transaction().execute(async (trx) => {
    await sql`SET LOCAL ROLE NONE`.execute(trx); // a step-down role (roshni start's) may not take backups
    const { rows } = await sql<{ file: string }>`SELECT pg_walfile_name(pg_backup_start('roshni', fast => true)) AS file`.execute(trx);
    return rows[0]!.file;
  });
  let stopped = false;
  const archive = new DataDirArchive(archivePath);
  try {
    await archive.addDataDirectory(dataDir);
    const stop = await lockedStop(conn, describe);
    stopped = true;
    await archive.addContents('backup_label', Buffer.from(stop.label));
    if (stop.tablespaceMap) await archive.addContents('tablespace_map', Buffer.from(stop.tablespaceMap));
    for (const name of await walFilesBetween(join(dataDir, 'pg_wal'), startFile, stop.file, stop.segmentBytes)) {
      await archive.addFile(`pg_wal/${name}`, join(dataDir, 'pg_wal', name));
    }
    await archive.finish();
    return stop.contents;
  } catch (error) {
    archive.abort();
    // A session left in backup mode refuses its next pg_backup_start.
    if (!stopped) {
      await conn
        .transaction()
        .execute(async (trx) => {
          await sql`SET LOCAL ROLE NONE`.execute(trx);
          await sql`SELECT pg_backup_stop(false)`.execute(trx);
        })
        .catch(() => {});
    }
    throw error;
  }
}

interface Stop<T> {
  contents: T;
  label: string;
  tablespaceMap: string;
  /** The WAL file holding the backup's end. */
  file: string;
  segmentBytes: number;
}

async function lockedStop<T>(conn: Kysely<any>, describe: (trx: Kysely<any>) => Promise<T>): Promise<Stop<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await conn.transaction().execute(async (trx) => {
        await sql`SET LOCAL ROLE NONE`.execute(trx);
        const { rows: tables } = await sql<{ name: string }>`
          SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
          WHERE schemaname IN ('public', 'roshni_auth') ORDER BY schemaname, tablename`.execute(trx);
        if (tables.length) {
          await sql`SELECT set_config('lock_timeout', ${LOCK_WAIT}, true)`.execute(trx);
          await sql.raw(`LOCK TABLE ${tables.map((t) => t.name).join(', ')} IN SHARE MODE`).execute(trx);
          await sql`SELECT set_config('lock_timeout', '0', true)`.execute(trx);
        }
        const contents = await describe(trx);
        const { rows } = await sql<{ labelfile: string; spcmapfile: string | null; file: string; segment: string }>`
          SELECT labelfile, spcmapfile, pg_walfile_name(lsn) AS file,
                 (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment
          FROM pg_backup_stop(wait_for_archive => false)`.execute(trx);
        const stop = rows[0]!;
        return { contents, label: stop.labelfile, tablespaceMap: stop.spcmapfile ?? '', file: stop.file, segmentBytes: Number(stop.segment) };
      });
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
      if (attempt >= LOCK_ATTEMPTS) throw new TablesBusyError();
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
    }
  }
}

/** The WAL files from the backup's start to its end (and the timelines' history files), every one of them there. */
async function walFilesBetween(walDir: string, first: string, last: string, segmentBytes: number): Promise<string[]> {
  const names = await readdir(walDir);
  const segments = names.filter((name) => WAL_FILE.test(name) && name.slice(0, 8) === last.slice(0, 8) && name >= first && name <= last);
  const expected = segmentNumber(last, segmentBytes) - segmentNumber(first, segmentBytes) + 1n;
  if (BigInt(segments.length) !== expected) {
    throw new Error(`The server's WAL from ${first} to ${last} is no longer all there: try the backup again.`);
  }
  return [...names.filter((name) => name.endsWith('.history')), ...segments.sort()];
}

function segmentNumber(file: string, segmentBytes: number): bigint {
  const perId = 0x1_0000_0000n / BigInt(segmentBytes);
  return BigInt(`0x${file.slice(8, 16)}`) * perId + BigInt(`0x${file.slice(16, 24)}`);
}
