import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/domain/actor.js';
import { loadDemoClinic } from '../../src/domain/demo/load-demo-clinic.js';
import { directly, verifyAuditChain } from '../../src/infra/audit/verify-chain.js';
import { fixedClock } from '../../src/infra/clock.js';
import { openEmbedded } from '../../src/infra/db/database.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { openPGlite } from '../../src/infra/db/pglite-files.js';
import { inDependencyOrder } from '../../src/infra/db/pglite-migration.js';
import { runCli } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// A ROSHNI_HOME from the releases before the PostgreSQL server: the demo clinic in PGlite's ROSHNI_HOME/data,
// made as `roshni demo` made it there (PGlite opened in-process, migrated, the demo loaded on its day). The
// first command of this release moves it into the server, losing nothing.

type Counts = Record<string, number>;

async function countsOf(db: Kysely<any>): Promise<Counts> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name NOT LIKE 'kysely_%'
    ORDER BY 1`.execute(db);
  const counts: Counts = {};
  for (const { name } of tables) {
    counts[name] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.raw(name)}`.execute(db)).rows[0]!.n;
  }
  return counts;
}

const chainHead = (db: Kysely<any>) =>
  sql<{ position: number; hash: string }>`SELECT chain_position AS position, encode(hash, 'hex') AS hash FROM audit_log
    WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1`
    .execute(db)
    .then((result) => result.rows[0]);

describe('an embedded PGlite directory of an earlier release', { timeout: 120_000 }, () => {
  const home = makeEmbeddedHome();
  let before: Counts;
  let headBefore: { position: number; hash: string } | undefined;
  let firstCommand: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    const pglite = await openPGlite(join(home, 'data'));
    try {
      await migrateToLatest(pglite.db);
      await loadDemoClinic({ db: pglite.db, clock: fixedClock('2026-12-15T05:30:00Z'), timezone: 'Asia/Kolkata', actor: systemActor });
      before = await countsOf(pglite.db);
      headBefore = await chainHead(pglite.db);
    } finally {
      await pglite.close();
    }
    firstCommand = await runCli(['db', 'migrate', '--json'], { ROSHNI_HOME: home });
  });
  afterAll(() => removeEmbeddedHome(home));

  it('is moved into the PostgreSQL server on the first command, which says so in one line', () => {
    expect(firstCommand.code, firstCommand.stderr).toBe(0);
    const moved = readdirSync(home).filter((name) => name.startsWith('data.pglite-migrated-'));
    expect(moved).toHaveLength(1);
    expect(existsSync(join(home, 'data'))).toBe(false);
    expect(
      readdirSync(join(home, 'pg'))
        .filter((name) => !name.startsWith('.'))
        .sort(),
    ).toEqual(['data', 'postgres.log']);
    const rows = Object.values(before).reduce((sum, n) => sum + n, 0);
    expect(firstCommand.stderr.trim()).toBe(
      `Moved the embedded database from PGlite into its PostgreSQL server: ${rows} rows in ${Object.keys(before).length} tables, each table's count checked. ` +
        `The old directory is now ${join(home, moved[0]!)}: remove it once you are satisfied.`,
    );
  });

  it('loses nothing: every table has its rows, the audit chain its head and stays intact, and new rows take the next ids', async () => {
    expect(before['public.appointments']).toBeGreaterThan(0);
    const database = await openEmbedded(home);
    try {
      expect(await countsOf(database.db)).toEqual(before);
      expect(await chainHead(database.db)).toEqual(headBefore);
      const chain = await verifyAuditChain(directly(database.db), {
        anchorsFile: join(home, 'backups', 'audit-anchors.jsonl'),
        now: new Date('2031-03-04T04:00:00Z'),
      });
      expect(chain).toMatchObject({ intact: true, firstBroken: null });
      const highest = await database.db
        .selectFrom('patients')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow();
      const added = await database.db.insertInto('patients').values({ full_name: 'Ira Nair' }).returning('id').executeTakeFirstOrThrow();
      expect(added.id).toBeGreaterThan(Number(highest.id));
    } finally {
      await database.close();
    }
  });

  it('orders tables so that each comes after those it refers to', () => {
    expect(
      inDependencyOrder(
        ['a.visits', 'a.patients', 'a.clinics'],
        [
          { from: 'a.visits', to: 'a.patients' },
          { from: 'a.patients', to: 'a.clinics' },
          { from: 'a.clinics', to: 'a.clinics' },
        ],
      ),
    ).toEqual(['a.clinics', 'a.patients', 'a.visits']);
  });
});
