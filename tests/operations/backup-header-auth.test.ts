import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupDamagedError, BackupUndecryptableError } from '../../src/infra/backup/backup-errors.js';
import { inspectBackupFile, writeBackupFile } from '../../src/infra/backup/backup-file.js';
import type { BackupHeader } from '../../src/infra/backup/backup-header.js';
import { authenticatePayload, readPayload } from '../../src/infra/backup/backup-payload.js';
import { assertTrustedBackup, BackupNotTrustedError, type RecordedBackup } from '../../src/infra/backup/backup-trust.js';

// The header (the manifest) of an encrypted backup is authenticated with its payload, for both kinds
// of payload; files written before (header format 1) still read, their header reported unauthenticated.

const PASSPHRASE = 'a long enough passphrase';
const dir = mkdtempSync(join(tmpdir(), 'roshni-header-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const headerOf = (payload: BackupHeader['payload']): Omit<BackupHeader, 'encryption' | 'format'> => ({
  kind: 'daily',
  createdAt: '2026-12-01T02:00:00.000Z',
  database: payload === 'pg_dump-custom' ? 'postgres' : 'embedded',
  payload,
  serverVersion: '16.4',
  manifest: { tables: { patients: 12, appointments: 40 } },
});

/** Rewrites a backup's header line (keeping its payload) and recomputes the checksum at its end, as anyone could. */
function withHeader(file: string, edit: (header: Record<string, unknown>) => void): string {
  const bytes = readFileSync(file);
  const firstLine = bytes.indexOf(0x0a);
  const headerEnd = bytes.indexOf(0x0a, firstLine + 1);
  const header = JSON.parse(bytes.subarray(firstLine + 1, headerEnd).toString('utf8'));
  edit(header);
  const content = Buffer.concat([
    bytes.subarray(0, firstLine + 1),
    Buffer.from(JSON.stringify(header) + '\n'),
    bytes.subarray(headerEnd + 1, bytes.length - 72),
  ]);
  const out = `${file}.edited-${randomBytes(3).toString('hex')}`;
  writeFileSync(out, Buffer.concat([content, Buffer.from(`\nsha256 ${createHash('sha256').update(content).digest('hex')}\n`)]));
  return out;
}

async function written(payload: BackupHeader['payload'], passphrase: string | undefined): Promise<string> {
  const path = join(dir, `${payload}-${randomBytes(4).toString('hex')}.backup`);
  await writeBackupFile(path, headerOf(payload), () => Readable.from([Buffer.from(`the ${payload} payload`)]), passphrase);
  return path;
}

describe.each(['pg_dump-custom', 'pglite-datadir-tgz'] as const)('a %s backup', (payload) => {
  it('encrypted: its header is authenticated with the payload; an edited or swapped header does not decrypt', async () => {
    const file = await written(payload, PASSPHRASE);
    const good = await inspectBackupFile(file);
    expect(good.header.format).toBe(2);
    expect(good.headerAuthenticated).toBe(true);
    await authenticatePayload(good, PASSPHRASE);
    expect((await readPayload(good, PASSPHRASE)).toString()).toBe(`the ${payload} payload`);

    // The manifest claims other counts: the checksum is redone, but GCM's tag covers the header.
    const lying = await inspectBackupFile(withHeader(file, (h) => ((h.manifest as { tables: Record<string, number> }).tables.patients = 13)));
    await expect(authenticatePayload(lying, PASSPHRASE)).rejects.toBeInstanceOf(BackupUndecryptableError);
    await expect(readPayload(lying, PASSPHRASE)).rejects.toBeInstanceOf(BackupUndecryptableError);
    // Nor can the header claim another type or time.
    const renamed = await inspectBackupFile(withHeader(file, (h) => (h.kind = 'monthly')));
    await expect(authenticatePayload(renamed, PASSPHRASE)).rejects.toBeInstanceOf(BackupUndecryptableError);
    // Claiming to be an old, unauthenticated header (format 1) does not escape the check either.
    const downgraded = await inspectBackupFile(withHeader(file, (h) => (h.format = 1)));
    expect(downgraded.headerAuthenticated).toBe(false);
    await expect(authenticatePayload(downgraded, PASSPHRASE)).rejects.toBeInstanceOf(BackupUndecryptableError);
  });

  it('unencrypted: read as before, its header reported unauthenticated', async () => {
    const file = await written(payload, undefined);
    const backup = await inspectBackupFile(file);
    expect(backup.header.encryption).toBeNull();
    expect(backup.headerAuthenticated).toBe(false);
    expect((await readPayload(backup, undefined)).toString()).toBe(`the ${payload} payload`);
  });
});

/** A backup as Roshni wrote it before header format 2: the payload encrypted with no additional data. */
function formatOneBackup(path: string, payload: Buffer): void {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const params = { N: 2 ** 15, r: 8, p: 1 };
  const key = scryptSync(PASSPHRASE, salt, 32, { ...params, maxmem: 256 * params.N * params.r });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const header = {
    format: 1,
    ...headerOf('pg_dump-custom'),
    encryption: { cipher: 'aes-256-gcm', kdf: 'scrypt', salt: salt.toString('base64'), iv: iv.toString('base64'), ...params },
  };
  const content = Buffer.concat([Buffer.from(`ROSHNI-BACKUP 1\n${JSON.stringify(header)}\n`), cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  writeFileSync(path, Buffer.concat([content, Buffer.from(`\nsha256 ${createHash('sha256').update(content).digest('hex')}\n`)]));
}

describe('a backup made before headers were authenticated (format 1)', () => {
  it('still decrypts; it is restored when the backup log records it, or on --file-from-elsewhere with a note', async () => {
    const file = join(dir, 'format-one.backup');
    formatOneBackup(file, Buffer.from('an old dump'));
    const backup = await inspectBackupFile(file);
    expect(backup.header.format).toBe(1);
    expect(backup.headerAuthenticated).toBe(false);
    expect((await readPayload(backup, PASSPHRASE)).toString()).toBe('an old dump');
    const recorded: RecordedBackup[] = [{ filePath: file, sha256: backup.sha256, kind: 'daily', startedAt: new Date('2026-12-01T02:00:00Z') }];
    const none = { allowUnencrypted: false, fileFromElsewhere: false };
    expect(assertTrustedBackup(backup, recorded, PASSPHRASE, none).join(' ')).toContain("the backup log's checksum, the whole file");
    expect(() => assertTrustedBackup(backup, [], PASSPHRASE, none)).toThrow(BackupNotTrustedError);
    expect(assertTrustedBackup(backup, [], PASSPHRASE, { ...none, fileFromElsewhere: true }).join(' ')).toMatch(
      /--file-from-elsewhere.*header \(the manifest\) is taken as it is/s,
    );
  });
});

describe('who vouches for a backup', () => {
  const none = { allowUnencrypted: false, fileFromElsewhere: false };
  it('with a passphrase set, an unencrypted file needs --allow-unencrypted, recorded or not', async () => {
    const backup = await inspectBackupFile(await written('pg_dump-custom', undefined));
    const recorded: RecordedBackup[] = [{ filePath: backup.path, sha256: backup.sha256, kind: 'daily', startedAt: new Date('2026-12-01T02:00:00Z') }];
    expect(() => assertTrustedBackup(backup, recorded, PASSPHRASE, none)).toThrow(/not encrypted.*--allow-unencrypted/s);
    expect(assertTrustedBackup(backup, recorded, PASSPHRASE, { ...none, allowUnencrypted: true })).toHaveLength(1);
    // Without a passphrase, a recorded unencrypted file is what Roshni made.
    expect(assertTrustedBackup(backup, recorded, undefined, none)).toEqual([]);
  });

  it('a file the log does not record, or with no log at all, needs --file-from-elsewhere and says why', async () => {
    const backup = await inspectBackupFile(await written('pglite-datadir-tgz', PASSPHRASE));
    expect(() => assertTrustedBackup(backup, [], PASSPHRASE, none)).toThrow(/not in this database's backup log.*--file-from-elsewhere/s);
    expect(() => assertTrustedBackup(backup, null, PASSPHRASE, none)).toThrow(/no backup log \(it is new or empty\).*--file-from-elsewhere/s);
    expect(assertTrustedBackup(backup, null, PASSPHRASE, { ...none, fileFromElsewhere: true })).toHaveLength(1);
  });

  it('a header that is not one Roshni writes is refused before anything reads it', async () => {
    const file = await written('pg_dump-custom', undefined);
    for (const edit of [
      (h: Record<string, unknown>) => (h.kind = "manual'; DROP TABLE patients; --"),
      (h: Record<string, unknown>) => ((h.manifest as { tables: Record<string, unknown> }).tables.patients = '12'),
      (h: Record<string, unknown>) => (h.encryption = { cipher: 'aes-256-gcm', kdf: 'scrypt', salt: 'AAAA', iv: 'AAAA', N: 2 ** 30, r: 8, p: 1 }),
    ]) {
      await expect(inspectBackupFile(withHeader(file, edit))).rejects.toBeInstanceOf(BackupDamagedError);
    }
  });
});
