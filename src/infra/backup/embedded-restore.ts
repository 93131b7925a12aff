import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import { openPostgres } from '../db/database.js';
import { ensureEmbeddedServer, startEmbeddedServer, stopEmbeddedServer } from '../db/embedded-server.js';
import { embeddedServerLayout } from '../db/embedded-server-layout.js';
import { waitForPidLock } from '../db/pid-lock.js';
import { OperationalError } from '../failure.js';
import { countRows } from './backups.js';
import { startBaseBackup } from './base-backup-scratch.js';
import { readBackupLog } from './backup-trust.js';
import { gatherErasures, reapplyAfterRestore } from './erasure-reapplication.js';
import { recordRestoreSafely, rememberBeforeRestore, type RestoreRecord } from './restore-record.js';
import {
  chosenBackup,
  compare,
  factsOf,
  RestoreRefusedError,
  RestoreRolledBackError,
  rowsOfClinic,
  type RestoreOptions,
  type RestoreResult,
} from './restore.js';
import { restoreEpilogue, schemaMismatchOf } from './restore-epilogue.js';

// A restore of the embedded server. The backup is unpacked beside the clinic's data directory and
// brought up by a scratch server of its own: counted, checked against its manifest, given the erasures
// recorded since and the restore's record, all where nothing else connects. Only then is the clinic's
// server stopped (bots and desks are disconnected for the moment it takes), its data directory kept
// aside as data.before-restore-…, the restored one moved in, and the server started again. A restored
// directory that will not start is taken out again and the kept one put back.

const LOCK_TIMEOUT_MS = 120_000;

export const PGLITE_RESTORE_REFUSAL =
  'This backup was made when the embedded database was PGlite (an earlier Roshni): it does not restore into the embedded PostgreSQL server; ' +
  '`roshni backup verify` still checks it. To bring it back, restore it with the release that made it into an empty ROSHNI_HOME, run this ' +
  'release there once (it moves the data into the embedded server), back that home up and restore that backup here with --file-from-elsewhere ' +
  '(README: "Backups"). Nothing was changed.';

export async function restoreEmbedded(ref: string, config: Config, options: RestoreOptions): Promise<RestoreResult> {
  const passphrase = config.env.ROSHNI_BACKUP_PASSPHRASE;
  const server = await ensureEmbeddedServer(config.home);
  const layout = embeddedServerLayout(config.home);
  // The embedded database as it is: its backup log (which backups are Roshni's), its rows, the erasures it knows.
  const current = await openPostgres(server.url, { max: 1 });
  let state;
  try {
    state = {
      log: await readBackupLog(current.db),
      rows: rowsOfClinic(await countRows(current.db)),
      gathered: await gatherErasures(current.db, config.backupDir, options.clock),
      memory: await rememberBeforeRestore(current.db, options.who),
    };
  } finally {
    await current.close();
  }
  const { log, rows, gathered, memory } = state;
  if (gathered.unreadable) options.progress(`${gathered.unreadable} line(s) of the erasure ledger's file could not be read: they are skipped.`);
  const { backup, notes } = await chosenBackup(ref, config, options, log);
  if (backup.header.payload === 'pglite-datadir-tgz') throw new RestoreRefusedError(PGLITE_RESTORE_REFUSAL);
  if (backup.header.payload !== 'pg-base-backup-tgz') {
    throw new RestoreRefusedError('This is a backup of a PostgreSQL server: set DATABASE_URL to the server to restore it into.');
  }
  if (rows > 0 && !options.force) {
    throw new RestoreRefusedError(`The embedded database is not empty (${rows} rows): add --force to replace it with the backup.`);
  }
  const file = backup.path;
  const expected = backup.header.manifest.tables;
  const total = Object.keys(expected).length;
  const incoming = join(layout.pgDir, `data.restoring-${randomBytes(4).toString('hex')}`);
  options.progress('Unpacking the backup…');
  const scratch = await startBaseBackup(backup, passphrase, incoming, server.owner);
  let result: ReturnType<typeof compare>;
  let schemaDifferences: string[] = [];
  let erasures: RestoreResult['erasures'] = null;
  let recorded: RestoreRecord | null = null;
  try {
    const restored = await openPostgres(scratch.url, { max: 1 });
    try {
      result = compare(expected, await countRows(restored.db));
      if (result.ok) {
        try {
          await sql.raw(restoreEpilogue(backup, statSync(file).mtime)).execute(restored.db);
        } catch (error) {
          const differences = schemaMismatchOf(error, backup.header.manifest.schema);
          if (!differences) throw error;
          schemaDifferences = differences;
          result = { ...result, ok: false };
        }
      }
      if (result.ok) {
        try {
          erasures = await reapplyAfterRestore(restored.db, {
            backupDir: config.backupDir,
            backupFile: file,
            gathered,
            clock: options.clock,
            progress: options.progress,
          });
        } catch (error) {
          throw new RestoreRolledBackError((error as Error).message);
        }
        const facts = { ...factsOf(backup, 'embedded', null, options), reErased: erasures.reErased.length };
        recorded = await recordRestoreSafely(restored.db, memory, facts, options.clock, options.progress);
      }
    } finally {
      await restored.close();
    }
    if (result.ok) await scratch.stop();
  } catch (error) {
    await scratch.discard();
    throw error;
  }
  const outcome = {
    file,
    notes,
    database: 'embedded' as const,
    schemaChecked: Boolean(backup.header.manifest.schema),
    schemaDifferences,
    safetyBackup: null,
    erasures,
    recorded,
  };
  if (!result.ok) {
    await scratch.discard();
    return { ...outcome, ...result, previousDataDir: null };
  }
  const previousDataDir = await swapIn(config.home, incoming, options);
  options.progress(`  ${total}/${total} tables`);
  return { ...outcome, ...result, previousDataDir };
}

/**
 * Stops the clinic's server, keeps its data directory aside, moves `incoming` in and starts it. The start
 * lock is held meanwhile: a command, or a running `roshni start` reconnecting (restartingPool in
 * embedded-connection.ts), that finds the server stopped waits in startEmbeddedServer, and then starts
 * nothing or the restored data, never the old directory being moved. Returns where the replaced directory is kept.
 */
async function swapIn(home: string, incoming: string, options: RestoreOptions): Promise<string> {
  const layout = embeddedServerLayout(home);
  const kept = join(layout.pgDir, `data.before-restore-${new Date().toISOString().replace(/[-:.]/g, '')}`);
  options.progress(
    'Stopping the embedded database to swap the restored data in: bots, `roshni start` and desks are disconnected and reconnect once it is back…',
  );
  await withStartLock(layout.startLock, async () => {
    try {
      await stopEmbeddedServer(home);
    } catch (error) {
      rmSync(incoming, { recursive: true, force: true });
      throw error;
    }
    renameSync(layout.dataDir, kept);
    try {
      renameSync(incoming, layout.dataDir);
    } catch (error) {
      renameSync(kept, layout.dataDir);
      rmSync(incoming, { recursive: true, force: true });
      throw error;
    }
  });
  try {
    await options.faultAfterSwap?.();
    await startEmbeddedServer(home);
  } catch (error) {
    options.progress('The restored data did not start: putting the replaced data directory back…');
    await putBack(home, kept, error as Error);
  }
  return kept;
}

async function putBack(home: string, kept: string, failure: Error): Promise<never> {
  const layout = embeddedServerLayout(home);
  try {
    // Stopped under the start lock: a `roshni start` reconnecting meanwhile waits, then starts the data put back.
    await withStartLock(layout.startLock, async () => {
      await stopEmbeddedServer(home).catch(() => {});
      if (existsSync(layout.dataDir)) rmSync(layout.dataDir, { recursive: true, force: true });
      renameSync(kept, layout.dataDir);
    });
    await startEmbeddedServer(home);
  } catch (again) {
    throw new OperationalError(
      'unexpected',
      `The restore failed (${failure.message}), and putting the replaced data back failed too (${(again as Error).message}): ` +
        `the data as it was before the restore is in ${existsSync(kept) ? kept : layout.dataDir}; move it to ${layout.dataDir} and run \`roshni db start\`.`,
    );
  }
  throw new RestoreRolledBackError(`${failure.message}; the replaced data directory was put back`);
}

async function withStartLock(path: string, work: () => Promise<void>): Promise<void> {
  const release = await waitForPidLock(
    path,
    LOCK_TIMEOUT_MS,
    (pid) => new OperationalError('database', `Another Roshni process (pid ${pid}) is starting the embedded database: let it finish, then restore again.`),
  );
  try {
    await work();
  } finally {
    release();
  }
}
