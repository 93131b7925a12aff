import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { embeddedBinaries } from '../db/embedded-server-layout.js';
import { serverOwner, type ServerOwner } from '../db/server-process.js';
import { ensurePrivateDirectory } from '../private-directory.js';
import type { InspectedBackup } from './backup-file.js';
import { BackupContentsDamagedError, BackupPassphraseError } from './backup-errors.js';
import { authenticatePayload, openPayload } from './backup-payload.js';
import { ScratchServerError, startScratchServer, unpackDataDirectory, type ScratchServer } from './scratch-server.js';

// An embedded backup (PostgreSQL base backup) brought up by a scratch server of its own, for verify
// and restore. A payload that unpacks wrong or will not start is "damaged", as a pg_dump archive
// pg_restore cannot read is.

/** Authenticates the payload, unpacks it into `dataDir` (which must not exist) and starts a server on it. */
export async function startBaseBackup(
  backup: InspectedBackup,
  passphrase: string | undefined,
  dataDir: string,
  owner: ServerOwner | undefined,
): Promise<ScratchServer> {
  await authenticatePayload(backup, passphrase);
  const { binDir } = await embeddedBinaries();
  try {
    await unpackDataDirectory(await openPayload(backup, passphrase), dataDir, owner);
    return await startScratchServer(dataDir, binDir, owner);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    if (error instanceof BackupPassphraseError) throw error;
    const known = error instanceof ScratchServerError || (error as Error).name === 'TarFormatError' || /^Z_/.test((error as { code?: string }).code ?? '');
    if (!known) throw error;
    throw new BackupContentsDamagedError(backup.path, (error as Error).message);
  }
}

/**
 * Runs `read` on the backup brought up in a scratch directory under ROSHNI_HOME (the disk that holds
 * the clinic's data has room for a copy of it), removed after, whatever happens.
 */
export async function readBaseBackup<T>(
  backup: InspectedBackup,
  home: string,
  passphrase: string | undefined,
  read: (db: Kysely<any>) => Promise<T>,
): Promise<T> {
  const owner = serverOwner();
  ensurePrivateDirectory(home);
  if (owner) chmodSync(home, 0o711); // as the embedded server's own start does: its user passes through, cannot list
  const scratchDir = mkdtempSync(join(home, 'verify-'));
  try {
    if (owner) chownSync(scratchDir, owner.uid, owner.gid);
    const server = await startBaseBackup(backup, passphrase, join(scratchDir, 'data'), owner);
    try {
      const { openPostgres } = await import('../db/database.js');
      const database = await openPostgres(server.url, { max: 1 });
      try {
        return await read(database.db);
      } finally {
        await database.close();
      }
    } finally {
      await server.discard();
    }
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}
