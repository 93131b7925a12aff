import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { countRows } from '../../src/infra/backup/backup-contents.js';
import { takeBaseBackup } from '../../src/infra/backup/embedded-base-backup.js';
import { startScratchServer, unpackDataDirectory } from '../../src/infra/backup/scratch-server.js';
import { openEmbedded, openPostgres } from '../../src/infra/db/database.js';
import { embeddedBinaries } from '../../src/infra/db/embedded-server-layout.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { ensureEmbeddedServer } from '../../src/infra/db/embedded-server.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// The manifest of an embedded backup is counted with every table locked against writes, in the
// transaction that ends the backup: a write that arrives while it counts waits, and lands after the
// backup's end, so the backup restores to exactly what was counted.

describe("an embedded backup's manifest", () => {
  const home = makeEmbeddedHome();
  afterAll(() => removeEmbeddedHome(home));

  it('is the state the backup restores to, even with a write arriving while it is counted', async () => {
    const database = await openEmbedded(home, { role: SERVICE_ROLE });
    const server = await ensureEmbeddedServer(home);
    const work = join(home, 'work');
    mkdirSync(work);
    const archive = join(work, 'backup.tgz');
    let arriving: Promise<unknown> = Promise.resolve();
    try {
      const counted = await database.db.connection().execute((conn) =>
        takeBaseBackup(conn, server.dataDir, archive, async (trx) => {
          const tables = await countRows(trx);
          // Another connection writes while the tables are being counted; it is left the time to commit.
          arriving = database.db.insertInto('job_runs').values({ job_name: 'while-counting', window_key: 'w', instance_id: 'other' }).execute();
          await new Promise((resolve) => setTimeout(resolve, 500));
          return tables;
        }),
      );
      await arriving;
      const live = await sql<{ n: number }>`SELECT count(*)::int AS n FROM job_runs`.execute(database.db);
      expect(live.rows[0]!.n).toBe(counted.job_runs! + 1);

      const dataDir = join(work, 'data');
      await unpackDataDirectory(createReadStream(archive), dataDir, server.owner);
      const scratch = await startScratchServer(dataDir, (await embeddedBinaries()).binDir, server.owner);
      try {
        const restored = await openPostgres(scratch.url, { max: 1 });
        try {
          expect(await countRows(restored.db)).toEqual(counted);
        } finally {
          await restored.close();
        }
      } finally {
        await scratch.discard();
      }
    } finally {
      await arriving.catch(() => {});
      await database.close();
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
