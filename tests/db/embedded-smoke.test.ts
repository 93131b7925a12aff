import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directly, verifyAuditChain } from '../../src/infra/audit/verify-chain.js';
import { openEmbedded, type Database } from '../../src/infra/db/database.js';
import { embeddedBinaries } from '../../src/infra/db/embedded-server-layout.js';
import { embeddedServerStatus, ensureEmbeddedServer, stopEmbeddedServer } from '../../src/infra/db/embedded-server.js';
import { serverOwner } from '../../src/infra/db/server-process.js';
import { migrations } from '../../migrations/index.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { runTypeScript } from '../support/run-typescript.js';

// The embedded default (no DATABASE_URL): a PostgreSQL server run from ROSHNI_HOME/pg, started by the
// first process that needs it and shared by every other. The scenarios share one home, to create its
// server once; each opens the database again when an earlier one stopped or broke it.

const contender = new URL('../support/embedded-contender.ts', import.meta.url);

async function anotherProcessOpens(home: string): Promise<{ opened: boolean; user?: string; error?: string; message?: string }> {
  return JSON.parse(await runTypeScript(contender, [home]));
}

describe('embedded database (a PostgreSQL server under ROSHNI_HOME)', { timeout: 60_000 }, () => {
  const home = makeEmbeddedHome();
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  let firstTwo: Array<Awaited<ReturnType<typeof anotherProcessOpens>>>;
  const open: Database[] = [];
  async function opened(): Promise<Database> {
    const database = await openEmbedded(home);
    open.push(database);
    return database;
  }
  const servicesCount = async (database: Database) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM services`.execute(database.db)).rows[0]!.n;

  beforeAll(async () => {
    // Two commands at once on a machine where the server was never started: both succeed.
    firstTwo = await Promise.all([anotherProcessOpens(home), anotherProcessOpens(home)]);
  });
  afterAll(async () => {
    await Promise.all(open.map((database) => database.close().catch(() => {})));
    await removeEmbeddedHome(home);
  });

  it('starts the server once for two processes arriving together, each brought up to date and stepped down', async () => {
    expect(firstTwo).toEqual([
      { opened: true, user: 'roshni_service' },
      { opened: true, user: 'roshni_service' },
    ]);
    const { db } = await opened();
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
    expect(rows.map((row) => row.name)).toEqual(Object.keys(migrations).sort());
  });

  it('enforces the btree_gist exclusion constraint: no double-booked therapist', async () => {
    const { db } = await opened();
    const therapist = await db.insertInto('therapists').values({ full_name: 'Meera Iyer' }).returning('id').executeTakeFirstOrThrow();
    const [first, second] = await db
      .insertInto('patients')
      .values([{ full_name: 'Aarav' }, { full_name: 'Diya' }])
      .returning('id')
      .execute();
    const service = await db.selectFrom('services').select(['id', 'price_paise']).where('code', '=', 'speech-therapy').executeTakeFirstOrThrow();
    const appointment = (patient: number, startsAt: string, endsAt: string) => ({
      patient_id: patient,
      therapist_id: therapist.id,
      service_id: service.id,
      starts_at: startsAt,
      ends_at: endsAt,
      price_paise: service.price_paise,
    });
    await db
      .insertInto('appointments')
      .values(appointment(first!.id, '2026-12-07T10:00:00+05:30', '2026-12-07T10:45:00+05:30'))
      .execute();
    await expect(
      db
        .insertInto('appointments')
        .values(appointment(second!.id, '2026-12-07T10:30:00+05:30', '2026-12-07T11:15:00+05:30'))
        .execute(),
    ).rejects.toMatchObject({ code: '23P01', constraint: 'appointments_therapist_no_overlap' });
  });

  it('keeps the audit log a hash chain: entries sealed and verified', async () => {
    const { db } = await opened();
    for (let i = 0; i < 3; i++) {
      await db
        .insertInto('audit_log')
        .values({ actor_kind: 'system', action: 'test.embedded', entity: 'test', meta: JSON.stringify({ i }) })
        .execute();
    }
    const intact = await verifyAuditChain(directly(db), {
      anchorsFile: join(home, 'backups', 'audit-anchors.jsonl'),
      now: new Date('2031-03-04T04:00:00Z'),
      pageSize: 2,
    });
    expect(intact).toMatchObject({ intact: true, firstBroken: null });
    await expect(sql`UPDATE audit_log SET meta = '{}' WHERE action = 'test.embedded'`.execute(db)).rejects.toThrow('append-only');
  });

  it('serves another process while this one holds connections open', async () => {
    await opened();
    expect(await anotherProcessOpens(home)).toEqual({ opened: true, user: 'roshni_service' });
  });

  it('reports its state, stops (disconnecting everyone), and starts again on the next use with the data kept', async () => {
    const running = await embeddedServerStatus(home);
    expect(running).toMatchObject({ state: 'running', dataDir: join(home, 'pg', 'data'), socketDir: join(home, 'pg'), version: '17.10' });
    expect(readFileSync(join(home, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(String(running.pid));

    expect(await stopEmbeddedServer(home)).toEqual({ wasRunning: true });
    expect(await embeddedServerStatus(home)).toMatchObject({ state: 'stopped', pid: null });
    expect(await stopEmbeddedServer(home)).toEqual({ wasRunning: false });

    expect(await servicesCount(await opened())).toBeGreaterThan(0);
    expect((await embeddedServerStatus(home)).state).toBe('running');
  });

  it('tells a backup where the running server is, starting it if needed', async () => {
    await stopEmbeddedServer(home);
    const server = await ensureEmbeddedServer(home);
    const owner = serverOwner();
    expect(server).toEqual({
      dataDir: join(home, 'pg', 'data'),
      socketDir: join(home, 'pg'),
      binDir: expect.stringMatching(/native\/bin$/),
      url: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(join(home, 'pg'))}`,
      ...(owner ? { owner } : {}),
    });
    expect((await embeddedServerStatus(home)).state).toBe('running');
  });

  it('starts again after the server was killed (SIGKILL)', async () => {
    await opened();
    const { pid } = await embeddedServerStatus(home);
    process.kill(pid!, 'SIGKILL');
    expect(await servicesCount(await opened())).toBeGreaterThan(0);
    expect((await embeddedServerStatus(home)).pid).not.toBe(pid);
  });

  it('clears a postmaster.pid whose pid now belongs to another program, which PostgreSQL itself would refuse', async () => {
    await stopEmbeddedServer(home);
    // A live process of the server's own user that is not PostgreSQL (a pid reused after a reboot).
    const impostor = spawn('sleep', ['60'], { ...serverOwner(), stdio: 'ignore' });
    try {
      const pidFile = join(home, 'pg', 'data', 'postmaster.pid');
      writeFileSync(pidFile, `${impostor.pid}\n${join(home, 'pg', 'data')}\n`);
      expect(await servicesCount(await opened())).toBeGreaterThan(0);
    } finally {
      impostor.kill();
    }
  });

  it('clears a start lock left by a process that no longer exists', async () => {
    await stopEmbeddedServer(home);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(home, 'pg.lock'), String(dead));
    expect(await servicesCount(await opened())).toBeGreaterThan(0);
  });

  it('keeps its files for their owner only: the home 0700 (0711 as root, for the postgres user), pg/ 0700, its log 0600', async () => {
    await opened();
    const owner = serverOwner();
    expect(mode(home)).toBe(owner ? '711' : '700');
    expect(mode(join(home, 'pg'))).toBe('700');
    expect(mode(join(home, 'pg', 'postgres.log'))).toBe('600');
    if (owner) expect(statSync(join(home, 'pg', 'data')).uid).toBe(owner.uid);
  });

  it('names the way out when there are no PostgreSQL binaries for this platform', async () => {
    await expect(embeddedBinaries('plan9', 'mips')).rejects.toThrow(
      'There is no embedded PostgreSQL for this platform (plan9-mips): set DATABASE_URL to a PostgreSQL server (README: "The embedded database").',
    );
  });
});
