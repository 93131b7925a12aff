import { createDecipheriv } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

import type { InspectedBackup } from './backup-file.js';
import { BackupContentsDamagedError, BackupPassphraseError, BackupUndecryptableError } from './backup-errors.js';
import { deriveKey } from './backup-key.js';

const gunzipAsync = promisify(gunzip);

/** The payload as a stream, decrypted when it was encrypted (the GCM tag is checked at its end). */
export async function openPayload(backup: InspectedBackup, passphrase: string | undefined): Promise<Readable> {
  const raw = createReadStream(backup.path, { start: backup.payloadStart, end: Math.max(backup.payloadStart, backup.payloadEnd) - 1 });
  const { encryption } = backup.header;
  if (!encryption) return raw;
  if (!passphrase) throw new BackupPassphraseError('This backup is encrypted: set ROSHNI_BACKUP_PASSPHRASE to the passphrase it was made with.');
  const key = await deriveKey(passphrase, Buffer.from(encryption.salt, 'base64'), encryption);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(encryption.iv, 'base64'));
  if (backup.header.format >= 2) decipher.setAAD(backup.headerBytes);
  decipher.setAuthTag(backup.tag!);
  raw.on('error', (error) => decipher.destroy(error));
  return raw.pipe(decipher);
}

/**
 * Proves the passphrase before anything is restored: GCM authenticates only at the end of the
 * stream, so an encrypted payload is decrypted once to nowhere first (a tool fed garbage by a wrong
 * passphrase would fail late, after the target was already cleared).
 */
export async function authenticatePayload(backup: InspectedBackup, passphrase: string | undefined): Promise<void> {
  if (!backup.header.encryption) return;
  try {
    for await (const _chunk of await openPayload(backup, passphrase)) {
      // Only the tag check at the end matters.
    }
  } catch (error) {
    if (error instanceof BackupPassphraseError) throw error;
    throw new BackupUndecryptableError(backup.path);
  }
}

/** The whole payload in memory, authenticated (PGlite loads its data directory from a Blob anyway). */
export async function readPayload(backup: InspectedBackup, passphrase: string | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of await openPayload(backup, passphrase)) chunks.push(chunk as Buffer);
  } catch (error) {
    if (/unable to authenticate|auth/i.test((error as Error).message)) throw new BackupUndecryptableError(backup.path);
    throw error;
  }
  return Buffer.concat(chunks);
}

/**
 * Unpacks an embedded backup's gzipped data directory to nowhere first: PGlite, handed a damaged one,
 * fails with an error thrown where nobody can catch it.
 */
export async function assertDataDirReadable(backup: InspectedBackup, payload: Buffer): Promise<void> {
  try {
    await gunzipAsync(payload);
  } catch (error) {
    throw new BackupContentsDamagedError(backup.path, (error as { code?: string }).code ?? (error as Error).message);
  }
}
