import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBackupFile } from '../../src/infra/backup/backup-file.js';
import { countRows, PGLITE_BACKUP_NOTE, verifyBackup } from '../../src/infra/backup/backups.js';
import { restoreBackup } from '../../src/infra/backup/restore.js';
import { schemaFingerprint } from '../../src/infra/backup/schema-fingerprint.js';
import { fixedClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { pgliteParsers } from '../../src/infra/db/database.js';
import type { DB } from '../../src/infra/db/schema.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { PGliteDialect } from '../../src/infra/db/pglite-dialect.js';
import { ensurePrivateDirectory } from '../../src/infra/private-directory.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// Backups made while the embedded database was PGlite ('pglite-datadir-tgz'): they still verify (in an
// in-memory PGlite) and say what they are; restoring one into the embedded server is refused, saying so.

const clock = fixedClock(new Date('2026-11-16T04:30:00.000Z'));
const trust = { allowUnencrypted: false, fileFromElsewhere: true };

describe("a backup of the PGlite embedded database of Roshni's earlier releases", () => {
  const home = makeEmbeddedHome();
  afterAll(() => removeEmbeddedHome(home));

  it('verifies, says what it is, and is not restored into the embedded server', async () => {
    const config = loadConfig({ ROSHNI_HOME: home }, '/nonexistent/.env');
    ensurePrivateDirectory(config.backupDir);
    const file = join(config.backupDir, 'roshni-manual-20261116T040000000Z.backup');
    const pglite = await PGlite.create({ extensions: { btree_gist }, parsers: pgliteParsers() });
    try {
      const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
      await migrateToLatest(db);
      const manifest = { tables: await countRows(db), schema: await db.transaction().execute(schemaFingerprint) };
      const payload = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
      const header = { kind: 'manual' as const, createdAt: clock.now().toISOString(), serverVersion: '17.5', database: 'embedded' as const };
      await writeBackupFile(file, { ...header, payload: 'pglite-datadir-tgz', manifest }, () => Readable.from([payload]), undefined);
      await db.destroy();
    } finally {
      await pglite.close();
    }

    const verified = await verifyBackup(file, config, clock, { trust });
    expect(verified).toMatchObject({ ok: true, problem: null });
    expect(verified.notes).toContain(PGLITE_BACKUP_NOTE);

    const restoring = restoreBackup(file, config, { force: true, trust, progress: () => {}, clock });
    await expect(restoring).rejects.toMatchObject({ name: 'RestoreRefusedError', message: expect.stringContaining('roshni backup verify') });
  }, 300_000);
});
