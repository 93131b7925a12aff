import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { pgliteParsers } from './database.js';
import type { DB } from './schema.js';

// The embedded database of Roshni's earlier releases: PGlite's data directory in ROSHNI_HOME/data, opened
// in this process. Kept to move such a directory into the PostgreSQL server (pglite-migration.ts).

export interface OpenedPGlite {
  db: Kysely<DB>;
  pglite: import('@electric-sql/pglite').PGlite;
  close(): Promise<void>;
}

/** ROSHNI_HOME/data as earlier releases left it (the new server's data lives in ROSHNI_HOME/pg/data). */
export function pgliteDataDir(home: string): string | undefined {
  const dir = join(home, 'data');
  return existsSync(join(dir, 'PG_VERSION')) ? dir : undefined;
}

export async function openPGlite(dataDir: string): Promise<OpenedPGlite> {
  const [{ PGlite }, { btree_gist }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('./pglite-dialect.js'),
  ]);
  const pglite = await PGlite.create({ dataDir, extensions: { btree_gist }, parsers: pgliteParsers() });
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    pglite,
    close: async () => {
      await db.destroy();
      await pglite.close();
    },
  };
}
