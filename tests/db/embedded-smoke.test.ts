import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directly, verifyAuditChain } from '../../src/infra/audit/verify-chain.js';
import { openEmbedded, type Database } from '../../src/infra/db/database.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { migrations } from '../../migrations/index.js';
import { runTypeScript } from '../support/run-typescript.js';

// The embedded path (no DATABASE_URL): PGlite in-process, guarded by a pid lock file.
// The scenarios share one home, migrated once, to start PGlite as few times as possible; each
// opens the database again if an earlier one closed it.

const contender = new URL('../support/embedded-contender.ts', import.meta.url);

async function secondProcessOpens(home: string): Promise<{ opened: boolean; error?: string; message?: string }> {
  return JSON.parse(await runTypeScript(contender, [home]));
}

// Each PGlite start costs seconds, more on a busy machine: allow a minute per step.
describe('embedded database (PGlite)', { timeout: 60_000 }, () => {
  let home: string;
  let database: Database;
  let open = false;
  let migrated: Awaited<ReturnType<typeof migrateToLatest>>;
  const lockFile = () => join(home, 'data.lock');
  /** This process holds the database open (again, if a test before closed it). */
  async function opened(): Promise<Database> {
    if (!open) {
      database = await openEmbedded(home);
      open = true;
    }
    return database;
  }
  async function closed() {
    if (open) await database.close();
    open = false;
  }

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'roshni-embedded-'));
    migrated = await migrateToLatest((await opened()).db);
  });
  afterAll(async () => {
    await closed();
    rmSync(home, { recursive: true, force: true });
  });

  it('applies every migration', () => {
    expect(migrated.applied).toEqual(Object.keys(migrations));
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

  it('keeps the audit log a hash chain: entries sealed, verified, an edit found', async () => {
    const { db } = await opened();
    const anchorsFile = join(home, 'backups', 'audit-anchors.jsonl');
    for (let i = 0; i < 3; i++) {
      await db
        .insertInto('audit_log')
        .values({ actor_kind: 'system', action: 'test.embedded', entity: 'test', meta: JSON.stringify({ i }) })
        .execute();
    }
    const intact = await verifyAuditChain(directly(db), { anchorsFile, now: new Date(), pageSize: 2 });
    expect(intact).toMatchObject({ intact: true, firstBroken: null, anchors: { recorded: true } });
    expect(intact.sealed).toBeGreaterThanOrEqual(3);
    expect(intact.head!.hash).toMatch(/^[0-9a-f]{64}$/);
    await expect(sql`UPDATE audit_log SET meta = '{}' WHERE action = 'test.embedded'`.execute(db)).rejects.toThrow('append-only');
    await db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
      await sql`UPDATE audit_log SET meta = '{"i": 9}' WHERE chain_position = ${intact.head!.position}`.execute(trx);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
    });
    const edited = await verifyAuditChain(directly(db), { anchorsFile, now: new Date(), pageSize: 2 });
    expect(edited.firstBroken).toMatchObject({ position: intact.head!.position, problem: 'edited' });
  });

  it('refuses a second process while open, naming the process that holds it', async () => {
    await opened();
    expect(readFileSync(lockFile(), 'utf8')).toBe(String(process.pid));
    const second = await secondProcessOpens(home);
    expect(second).toMatchObject({ opened: false, error: 'EmbeddedDatabaseBusyError' });
    expect(second.message).toContain(`pid ${process.pid}`);
  });

  it('releases the lock on close, so another process can open it', async () => {
    await opened();
    await closed();
    expect(existsSync(lockFile())).toBe(false);
    expect(await secondProcessOpens(home)).toEqual({ opened: true });
  });

  it('clears a lock left behind by a process that no longer exists', async () => {
    await closed();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lockFile(), String(dead));

    const { db } = await opened();
    expect(readFileSync(lockFile(), 'utf8')).toBe(String(process.pid));
    // The data is still there: the services the migrations put in.
    const services = await db.selectFrom('services').select('code').where('code', '=', 'speech-therapy').execute();
    expect(services).toHaveLength(1);
  });

  it('keeps ROSHNI_HOME and its data for their owner only (0700), tightening them when they were opened up', async () => {
    await closed();
    const mode = (path: string) => statSync(path).mode & 0o777;
    chmodSync(home, 0o755);
    chmodSync(join(home, 'data'), 0o750);
    await opened();
    expect(mode(home).toString(8)).toBe('700');
    expect(mode(join(home, 'data')).toString(8)).toBe('700');
  });
});
