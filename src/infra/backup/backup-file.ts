import { createCipheriv, createHash, randomBytes, type CipherGCM } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';

import { BackupDamagedError } from './backup-errors.js';
import { FORMAT, headerSchema, MAGIC, MAX_HEADER, TAG_LENGTH, TRAILER_LENGTH, type BackupHeader } from './backup-header.js';
import { deriveKey, SCRYPT } from './backup-key.js';

// Writing a backup file and reading back its header and checksum (the format: backup-header.ts).

export interface WrittenBackup {
  path: string;
  sizeBytes: number;
  sha256: string;
  encrypted: boolean;
}

/**
 * Writes `payload` as a backup at `path`: first to `path.partial`, flushed to disk, and only then
 * renamed into place, so a crash never leaves a half-written file under a backup's name.
 */
export async function writeBackupFile(
  path: string,
  header: Omit<BackupHeader, 'encryption' | 'format'>,
  /** Called once everything is ready to take its output (the key is derived first: no data waits). */
  startPayload: () => Readable,
  passphrase: string | undefined,
  /** Resolves when the producer of the payload has finished successfully (pg_dump's exit); awaited before the rename. */
  producerDone: Promise<void> = Promise.resolve(),
): Promise<WrittenBackup> {
  const partial = `${path}.partial`;
  const hash = createHash('sha256');
  const file = await open(partial, 'wx', 0o600);
  let sizeBytes = 0;
  const write = async (chunk: Buffer) => {
    hash.update(chunk);
    sizeBytes += chunk.length;
    await file.write(chunk);
  };
  try {
    let encryption: BackupHeader['encryption'] = null;
    let cipher: CipherGCM | undefined;
    if (passphrase) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const key = await deriveKey(passphrase, salt, SCRYPT);
      cipher = createCipheriv('aes-256-gcm', key, iv);
      encryption = { cipher: 'aes-256-gcm', kdf: 'scrypt', salt: salt.toString('base64'), iv: iv.toString('base64'), ...SCRYPT };
    }
    const full: BackupHeader = { format: FORMAT, ...header, encryption };
    const headerBytes = Buffer.from(MAGIC + JSON.stringify(full) + '\n');
    // The header is authenticated with the payload: altering it or moving it onto another payload fails GCM's tag.
    cipher?.setAAD(headerBytes);
    await write(headerBytes);
    const payload = startPayload();
    let source: Readable = payload;
    if (cipher) {
      payload.on('error', (error) => cipher!.destroy(error));
      source = payload.pipe(cipher);
    }
    const headerLength = sizeBytes;
    for await (const chunk of source) await write(chunk as Buffer);
    await producerDone;
    if (sizeBytes === headerLength) throw new Error('The dump came out empty; nothing was written.');
    if (cipher) await write(cipher.getAuthTag());
    const sha256 = hash.digest('hex');
    await file.write(`\nsha256 ${sha256}\n`);
    sizeBytes += TRAILER_LENGTH;
    await file.sync();
    await file.close();
    await rename(partial, path);
    await syncDirectory(dirname(path));
    return { path, sizeBytes, sha256, encrypted: Boolean(cipher) };
  } catch (error) {
    await file.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle.close();
  }
}

export interface InspectedBackup {
  path: string;
  header: BackupHeader;
  /** The magic line and the header line, as written: GCM's additional data from format 2 on. */
  headerBytes: Buffer;
  /**
   * Whether the header is authenticated along with the payload (an encrypted format 2 file, once
   * `authenticatePayload` or `readPayload` has passed). An unencrypted file's header and payload
   * prove nothing of who wrote them; a format 1 encrypted file proves its payload only.
   */
  headerAuthenticated: boolean;
  sha256: string;
  sizeBytes: number;
  payloadStart: number;
  /** Exclusive end of the payload (before the GCM tag, when encrypted). */
  payloadEnd: number;
  tag: Buffer | null;
}

/** Reads a backup's header and checks its checksum over every byte: a truncated or altered file is refused. */
export async function inspectBackupFile(path: string): Promise<InspectedBackup> {
  const { size } = await stat(path);
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, MAX_HEADER));
    await file.read(head, 0, head.length, 0);
    if (!head.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) throw new BackupDamagedError(path, 'it does not start like one');
    const headerEnd = head.indexOf(0x0a, MAGIC.length);
    if (headerEnd < 0) throw new BackupDamagedError(path, 'its header is cut short');
    let json: unknown;
    try {
      json = JSON.parse(head.subarray(MAGIC.length, headerEnd).toString('utf8'));
    } catch {
      throw new BackupDamagedError(path, 'its header is not readable');
    }
    const parsed = headerSchema.safeParse(json);
    if (!parsed.success) throw new BackupDamagedError(path, `its header is not one Roshni writes (${parsed.error.issues[0]!.path.join('.') || 'header'})`);
    const header: BackupHeader = parsed.data;
    const payloadStart = headerEnd + 1;
    const contentEnd = size - TRAILER_LENGTH;
    const tagLength = header.encryption ? TAG_LENGTH : 0;
    if (contentEnd < payloadStart + tagLength) throw new BackupDamagedError(path, 'it is truncated');
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    await file.read(trailer, 0, TRAILER_LENGTH, contentEnd);
    const match = /^\nsha256 ([0-9a-f]{64})\n$/.exec(trailer.toString('latin1'));
    if (!match) throw new BackupDamagedError(path, 'it is truncated (no checksum at the end)');
    const hash = createHash('sha256');
    if (contentEnd > 0) {
      for await (const chunk of createReadStream(path, { start: 0, end: contentEnd - 1 })) hash.update(chunk as Buffer);
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== match[1]) throw new BackupDamagedError(path, 'its checksum does not match its contents');
    let tag: Buffer | null = null;
    if (tagLength) {
      tag = Buffer.alloc(TAG_LENGTH);
      await file.read(tag, 0, TAG_LENGTH, contentEnd - TAG_LENGTH);
    }
    const headerBytes = Buffer.from(head.subarray(0, payloadStart));
    const headerAuthenticated = header.format >= 2 && header.encryption !== null;
    return { path, header, headerBytes, headerAuthenticated, sha256, sizeBytes: size, payloadStart, payloadEnd: contentEnd - tagLength, tag };
  } finally {
    await file.close();
  }
}
