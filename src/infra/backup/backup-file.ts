import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt as scryptCallback, type CipherGCM, type ScryptOptions } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { z } from 'zod';

import type { SchemaFingerprint } from './schema-fingerprint.js';
import { OperationalError } from '../failure.js';

const gunzipAsync = promisify(gunzip);

// One backup is one self-checking file, written under a temporary name and renamed only when complete:
//
//   ROSHNI-BACKUP 1\n
//   {header: what it is, the manifest of row counts, how it is encrypted}\n
//   payload (pg_dump custom format; the embedded server's base backup as a gzipped tar; or, made
//     before the embedded database became a PostgreSQL server, PGlite's gzipped data directory), AES-256-GCM encrypted when
//     a passphrase is configured, followed by the 16-byte GCM tag
//   \nsha256 <hex of every byte before this line>\n
//
// The checksum catches a truncated or altered file before anything is restored from it; it is no
// proof of who wrote the file (anyone can recompute it). The GCM tag is: it proves an encrypted
// payload was made with the same passphrase, and from header format 2 on, the first two lines (magic
// and header, manifest included) are GCM's additional authenticated data, so a header cannot be
// swapped onto another payload or edited either. Format 1 files (made before) authenticate their
// payload only: see `headerAuthenticated`.

const MAGIC = 'ROSHNI-BACKUP 1\n';
const TRAILER_LENGTH = '\nsha256 '.length + 64 + 1;
const TAG_LENGTH = 16;
// scrypt N=2^15, r=8, p=1: about 32 MiB and ~100 ms per backup, the libsodium "interactive" order.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const MAX_HEADER = 1024 * 1024;
/** The header format written now: 2 binds the header to the payload (GCM additional data). */
const FORMAT = 2;

export type BackupKind = 'manual' | 'daily' | 'weekly' | 'monthly';

const PAYLOADS = ['pg_dump-custom', 'pg-base-backup-tgz', 'pglite-datadir-tgz'] as const;
export type BackupPayload = (typeof PAYLOADS)[number];

export interface BackupManifest {
  /** Row counts per table, taken in the same snapshot as the dump. */
  tables: Record<string, number>;
  /** The schema's fingerprint, same snapshot (absent from backups made before it was recorded). */
  schema?: SchemaFingerprint;
  /**
   * md5 of the rows of the clinic's key tables (KEY_TABLES), same snapshot. Roshni records them in the
   * backup log (summed while the dump runs); verify also takes them from here when a header has them.
   */
  checksums?: Record<string, string>;
}

export interface BackupHeader {
  /** 1: the header is not authenticated (files made before format 2); 2: it is GCM additional data when encrypted. */
  format: 1 | 2;
  kind: BackupKind;
  createdAt: string;
  database: 'postgres' | 'embedded';
  /** 'pg_dump-custom', 'pg-base-backup-tgz' (the embedded server), or 'pglite-datadir-tgz' (the embedded database when it was PGlite: still verified). */
  payload: BackupPayload;
  serverVersion: string;
  manifest: BackupManifest;
  encryption: null | { cipher: 'aes-256-gcm'; kdf: 'scrypt'; salt: string; iv: string; N: number; r: number; p: number };
}

// A header is read from a file anyone may have put in the backup folder: checked, not believed.
const counts = z.record(z.string().max(63), z.number().int().nonnegative());
const headerSchema = z.object({
  format: z.union([z.literal(1), z.literal(2)]),
  kind: z.enum(['manual', 'daily', 'weekly', 'monthly']),
  createdAt: z.string().datetime(),
  database: z.enum(['postgres', 'embedded']),
  payload: z.enum(PAYLOADS),
  serverVersion: z.string().max(200),
  manifest: z.object({
    tables: counts,
    schema: z.record(z.string().max(63), z.object({ count: z.number().int().nonnegative(), md5: z.string().regex(/^[0-9a-f]{32}$/) })).optional(),
    checksums: z.record(z.string().max(63), z.string().max(100)).optional(),
  }),
  encryption: z
    .object({
      cipher: z.literal('aes-256-gcm'),
      kdf: z.literal('scrypt'),
      salt: z.string().base64(),
      iv: z.string().base64(),
      // Bounded: a crafted header must not make the key derivation take all memory.
      N: z
        .number()
        .int()
        .min(2 ** 14)
        .max(2 ** 20),
      r: z.number().int().min(1).max(16),
      p: z.number().int().min(1).max(4),
    })
    .nullable(),
});

export class BackupDamagedError extends OperationalError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('invalid', `The backup ${file} is damaged or not a Roshni backup: ${detail}.`);
    this.name = 'BackupDamagedError';
  }
}

/** A file whose checksum matches but whose payload cannot be read: altered, and its checksum recomputed. */
export class BackupContentsDamagedError extends OperationalError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(
      'invalid',
      `The backup ${file} matches its checksum but its contents cannot be read (${detail}): it was altered after it was written. Nothing was restored: the database is as it was.`,
    );
    this.name = 'BackupContentsDamagedError';
  }
}

/** GCM refused the payload: a wrong passphrase and altered contents look alike to it. */
export class BackupUndecryptableError extends OperationalError {
  constructor(readonly file: string) {
    super(
      'invalid',
      `The backup ${file} could not be decrypted: ROSHNI_BACKUP_PASSPHRASE is not the passphrase it was made with, or the file was altered after it was written. Nothing was restored: the database is as it was.`,
    );
    this.name = 'BackupUndecryptableError';
  }
}

export class BackupPassphraseError extends OperationalError {
  constructor(detail: string) {
    super('configuration', detail);
    this.name = 'BackupPassphraseError';
  }
}

function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scryptCallback(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

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
