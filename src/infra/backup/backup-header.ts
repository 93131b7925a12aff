import { z } from 'zod';

import type { SchemaFingerprint } from './schema-fingerprint.js';

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

export const MAGIC = 'ROSHNI-BACKUP 1\n';
export const TRAILER_LENGTH = '\nsha256 '.length + 64 + 1;
export const TAG_LENGTH = 16;
export const MAX_HEADER = 1024 * 1024;
/** The header format written now: 2 binds the header to the payload (GCM additional data). */
export const FORMAT = 2;

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
export const headerSchema = z.object({
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
