import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/domain/audit/record-audit.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { ANCHORS_FILE } from '../../src/infra/audit/anchors.js';
import { sealAudit } from '../../src/infra/audit/audit-chain.js';
import { openPostgres } from '../../src/infra/db/database.js';
import type { DB } from '../../src/infra/db/schema.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

interface VerifyReport {
  intact: boolean;
  entries: number;
  sealed: number;
  head: { position: number; hash: string } | null;
  firstBroken: { position: number; id: number | null; problem: string; detail: string } | null;
  anchors: { checked: number; recorded: boolean };
}

// The owner (the tests' superuser) tampers as only an owner can: with the audit log's triggers off.
async function asOwnerWithoutTriggers(db: Kysely<DB>, statements: Array<ReturnType<typeof sql>>) {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
    for (const statement of statements) await statement.execute(trx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
  });
}

const entryAt = async (db: Kysely<DB>, position: number) =>
  db.selectFrom('audit_log').select(['id', 'patient_id']).where('chain_position', '=', position).executeTakeFirstOrThrow();

describe('the audit log as a hash chain: roshni audit verify', () => {
  let database: TestDatabase;
  let backupDir: string;
  let as: (username: string) => Promise<Record<string, string>>;
  let patients: Array<{ id: number }>;

  beforeEach(async () => {
    database = await createTestDatabase();
    backupDir = mkdtempSync(join(tmpdir(), 'roshni-anchors-'));
    as = staffEnvironments(database.db, { DATABASE_URL: database.url, ROSHNI_BACKUP_DIR: backupDir });
    const ctx = systemContext(database.db);
    patients = (await seedClinic(ctx, { days: 3 })).patients;
    await addStaffUser(ctx, { username: 'asha', fullName: 'Asha Rao', role: 'admin' });
    await addStaffUser(ctx, { username: 'ravi', fullName: 'Ravi Kumar', role: 'receptionist' });
    const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
    for (const [patient, time] of [
      ['Patient 001', '09:00'],
      ['Patient 002', '10:00'],
    ]) {
      const booked = await runCli(
        ['book', '--patient', patient!, '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} ${time}`],
        await as('ravi'),
      );
      expect(booked.code, booked.stderr).toBe(0);
    }
  });
  afterEach(async () => {
    await database.close();
    rmSync(backupDir, { recursive: true, force: true });
  });

  const verify = async (user = 'asha') => {
    const result = await runCli(['audit', 'verify', '--json'], await as(user));
    return { code: result.code, stderr: result.stderr, report: result.code === 0 || result.code === 10 ? (JSON.parse(result.stdout) as VerifyReport) : null };
  };

  it('finds an intact chain (exit 0), seals what was written since, and writes its head down beside the backups', async () => {
    const first = await verify();
    expect(first.code, first.stderr).toBe(0);
    const entries = Number(
      (
        await database.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(first.report).toMatchObject({ intact: true, entries, firstBroken: null, anchors: { recorded: true } });
    expect(first.report!.head!.position).toBe(entries);
    const anchors = readFileSync(join(backupDir, ANCHORS_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(anchors).toEqual([
      { database: expect.stringMatching(/^\d+\/roshni_test_/), at: expect.any(String), position: entries, hash: first.report!.head!.hash },
    ]);

    await recordAudit(systemContext(database.db), { action: 'test.later', entity: 'test' });
    const second = await verify();
    expect(second.report).toMatchObject({ intact: true, entries: entries + 1, sealed: 1, anchors: { checked: 1, recorded: true } });
    // Every entry is sealed, with positions 1…n and no gaps.
    const positions = await database.db.selectFrom('audit_log').select('chain_position').orderBy('chain_position').execute();
    expect(positions.map((p) => p.chain_position)).toEqual(Array.from({ length: entries + 1 }, (_, i) => i + 1));
    const human = await runCli(['audit', 'verify'], await as('asha'));
    expect(human.stdout).toMatch(/The audit log is intact: \d+ entries on the chain/);
  });

  it('is for admins only (exit 5), and `roshni audit` still lists the log', async () => {
    expect((await verify('ravi')).code).toBe(5);
    const listed = await runCli(['audit', '--patient', 'Patient 001', '--json'], await as('asha'));
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBeGreaterThan(0);
  });

  it('reports an edited entry at its position (exit 10)', async () => {
    await verify();
    const target = await entryAt(database.db, 3);
    await asOwnerWithoutTriggers(database.db, [sql`UPDATE audit_log SET meta = '{"edited": true}' WHERE chain_position = 3`]);
    const edited = await verify();
    expect(edited.code).toBe(10);
    expect(edited.stderr).toContain("the audit log's chain is broken at position 3 (edited)");
    expect(edited.report).toMatchObject({ intact: false, entries: 2, firstBroken: { position: 3, id: target.id, problem: 'edited' } });

    // A column outside the JSON, too: who acted.
    await asOwnerWithoutTriggers(database.db, [
      sql`UPDATE audit_log SET meta = (SELECT meta FROM audit_log WHERE chain_position = 4) WHERE chain_position = 3`,
      sql`UPDATE audit_log SET actor_id = 999 WHERE chain_position = 2`,
    ]);
    expect((await verify()).report!.firstBroken).toMatchObject({ position: 2, problem: 'edited' });
  });

  it('reports a deleted entry as the gap it leaves', async () => {
    await verify();
    await asOwnerWithoutTriggers(database.db, [sql`DELETE FROM audit_log WHERE chain_position = 4`]);
    const deleted = await verify();
    expect(deleted.code).toBe(10);
    expect(deleted.report!.firstBroken).toMatchObject({ position: 4, id: null, problem: 'missing' });
    expect(deleted.report!.firstBroken!.detail).toContain('the entry at position 4 is missing');
  });

  it('reports a forged entry inserted with made-up hashes, in the middle or at the end', async () => {
    await sealAudit(database.db);
    const head = Number(
      (
        await database.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.max('chain_position').as('p'))
          .executeTakeFirstOrThrow()
      ).p,
    );
    const forged = (position: number) =>
      sql`INSERT INTO audit_log (actor_kind, actor_id, actor_role, action, entity, chain_position, prev_hash, body_hash, hash)
          VALUES ('staff', 1, 'admin', 'payment.refund', 'payment', ${position}, sha256('made up'), sha256('made up too'), sha256('and this'))`;
    await asOwnerWithoutTriggers(database.db, [forged(head + 1)]);
    expect((await verify()).report!.firstBroken).toMatchObject({ position: head + 1, problem: 'inserted' });

    // Slipped in at position 3, the later entries moved up one to make room.
    await asOwnerWithoutTriggers(database.db, [
      sql`DELETE FROM audit_log WHERE chain_position = ${head + 1}`,
      sql`UPDATE audit_log SET chain_position = chain_position + 1000000 WHERE chain_position >= 3`,
      sql`UPDATE audit_log SET chain_position = chain_position - 999999 WHERE chain_position > 1000000`,
      forged(3),
    ]);
    const inserted = await verify();
    expect(inserted.code).toBe(10);
    expect(inserted.report!.firstBroken).toMatchObject({ position: 3, problem: 'inserted' });
  });

  it('catches, by an anchor, an owner who edits an entry and recomputes the whole chain after it', async () => {
    const before = await verify();
    expect(before.report!.anchors.recorded).toBe(true);
    await asOwnerWithoutTriggers(database.db, [
      sql`UPDATE audit_log SET meta = '{"rewritten": true}' WHERE chain_position = 2`,
      sql`UPDATE audit_log SET body_hash = roshni_audit_body_hash(before, after, meta) WHERE chain_position = 2`,
      sql`UPDATE audit_log SET chain_position = NULL, prev_hash = NULL, hash = NULL`,
      sql`SELECT roshni_auth.seal_audit()`,
    ]);
    const after = await verify();
    expect(after.code).toBe(10);
    expect(after.report!.firstBroken).toMatchObject({ position: before.report!.head!.position, problem: 'anchor' });
    // Without the anchor, the rewritten chain is consistent in itself: that is what the anchors are for.
    rmSync(join(backupDir, ANCHORS_FILE));
    expect((await verify()).code).toBe(0);
  });

  it('catches, by an anchor, entries removed from the end of the chain', async () => {
    const before = await verify();
    await asOwnerWithoutTriggers(database.db, [sql`DELETE FROM audit_log WHERE chain_position >= ${before.report!.head!.position - 1}`]);
    const after = await verify();
    expect(after.code).toBe(10);
    expect(after.report!.firstBroken).toMatchObject({ position: before.report!.head!.position - 1, problem: 'missing' });
  });

  it('after an erasure: the entries lose the personal data, are marked redacted, and the chain still verifies', async () => {
    const patient = patients[1]!;
    await recordAudit(systemContext(database.db), {
      action: 'patient.note',
      entity: 'patient',
      entityId: patient.id,
      patientId: patient.id,
      meta: { said: 'Patient 002 rang from +919810000002' },
    });
    await recordAudit(systemContext(database.db), {
      action: 'patient.note',
      entity: 'patient',
      entityId: patients[0]!.id,
      patientId: patients[0]!.id,
      meta: { said: 'Patient 001 rang' },
    });
    expect((await verify()).code).toBe(0);
    for (const { appointment_number } of await database.db
      .selectFrom('appointments')
      .select('appointment_number')
      .where('patient_id', '=', patient.id)
      .execute()) {
      expect((await runCli(['cancel', appointment_number, '--reason', 'Moving away'], await as('ravi'))).code).toBe(0);
    }
    const erased = await runCli(['patient', 'erase', String(patient.id), '--reason', 'Request by the parents', '--yes', '--json'], await as('asha'));
    expect(erased.code, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({ auditEntriesRewritten: 1 });
    const rows = await database.db
      .selectFrom('audit_log')
      .select(['patient_id', 'meta', 'redacted_at'])
      .where('action', '=', 'patient.note')
      .orderBy('id')
      .execute();
    expect(rows[0]).toMatchObject({ patient_id: patient.id, meta: { said: '[erased] rang from [erased]' }, redacted_at: expect.any(Date) });
    expect(rows[1]).toMatchObject({ meta: { said: 'Patient 001 rang' }, redacted_at: null });
    const verified = await verify();
    expect(verified.code, verified.stderr).toBe(0);

    // Marking a living patient's entry as redacted, to hide an edit, is found.
    await asOwnerWithoutTriggers(database.db, [
      sql`UPDATE audit_log SET meta = '{}', redacted_at = now() WHERE action = 'patient.note' AND patient_id = ${patients[0]!.id}`,
    ]);
    expect((await verify()).report!.firstBroken).toMatchObject({ problem: 'edited' });
  });

  it('refuses the erasure function for a patient not erased in the same transaction, and the old setting opens nothing', async () => {
    const patient = patients[0]!;
    const staff = await openPostgres(database.url, { role: 'roshni_staff' });
    try {
      await expect(sql`SELECT roshni_auth.redact_audit_for_erasure(${patient.id}, '[]'::jsonb)`.execute(staff.db)).rejects.toThrow(
        /not being erased in this transaction/,
      );
      // Erased earlier, in another transaction: still refused.
      await database.db.updateTable('patients').set({ erased_at: new Date() }).where('id', '=', patient.id).execute();
      await expect(sql`SELECT roshni_auth.redact_audit_for_erasure(${patient.id}, '[]'::jsonb)`.execute(staff.db)).rejects.toThrow(
        /not being erased in this transaction/,
      );
      await expect(
        staff.db.transaction().execute(async (trx) => {
          await sql`SELECT set_config('roshni.erasing_patient', ${String(patient.id)}, true)`.execute(trx);
          await sql`UPDATE audit_log SET meta = '{}' WHERE patient_id = ${patient.id}`.execute(trx);
        }),
      ).rejects.toThrow(/permission denied for table audit_log/);
      // In the erasing transaction, only that patient's entries change, and only their JSON.
      const other = await database.db.selectFrom('audit_log').select('id').where('patient_id', '=', patients[1]!.id).executeTakeFirstOrThrow();
      const own = await database.db.selectFrom('audit_log').select('id').where('patient_id', '=', patient.id).executeTakeFirstOrThrow();
      const rewritten = await staff.db.transaction().execute(async (trx) => {
        await sql`UPDATE patients SET erased_at = now() WHERE id = ${patient.id}`.execute(trx);
        const entries = JSON.stringify([
          { id: other.id, meta: {} },
          { id: own.id, meta: { redacted: true }, action: 'nothing' },
        ]);
        const { rows } = await sql<{ n: number }>`SELECT roshni_auth.redact_audit_for_erasure(${patient.id}, ${entries}::jsonb) AS n`.execute(trx);
        return rows[0]!.n;
      });
      expect(rewritten).toBe(1);
      expect(await database.db.selectFrom('audit_log').select(['meta', 'action']).where('id', '=', own.id).executeTakeFirstOrThrow()).toMatchObject({
        meta: { redacted: true },
      });
      expect((await verify()).code).toBe(0);
    } finally {
      await staff.close();
    }
  });
});

describe('sealing while the clinic writes', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database.close());

  it('concurrent writers never wait for the chain, and concurrent sealers leave one chain without duplicate positions', async () => {
    const writers = await openPostgres(database.url, { role: 'roshni_staff', max: 8 });
    const sealers = await openPostgres(database.url, { role: 'roshni_service', max: 3 });
    try {
      let writing = true;
      const write = async (writer: number) => {
        for (let i = 0; i < 25; i++) {
          await writers.db.transaction().execute(async (trx) => {
            await trx
              .insertInto('audit_log')
              .values({ actor_kind: 'system', action: 'test.write', entity: 'writer', entity_id: String(writer), meta: JSON.stringify({ i }) })
              .execute();
            await trx
              .insertInto('audit_log')
              .values({ actor_kind: 'system', action: 'test.write', entity: 'writer', entity_id: String(writer), meta: JSON.stringify({ i, second: true }) })
              .execute();
          });
        }
      };
      const seal = async () => {
        let sealed = 0;
        while (writing) sealed += await sealAudit(sealers.db);
        return sealed + (await sealAudit(sealers.db));
      };
      const sealing = [seal(), seal(), seal()];
      await Promise.all(Array.from({ length: 8 }, (_, w) => write(w)));
      writing = false;
      const sealed = (await Promise.all(sealing)).reduce((a, b) => a + b, 0);
      const total = Number(
        (
          await database.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('action', '=', 'test.write')
            .executeTakeFirstOrThrow()
        ).n,
      );
      expect(total).toBe(8 * 25 * 2);
      const rows = await database.db.selectFrom('audit_log').select(['chain_position']).orderBy('chain_position').execute();
      expect(rows.every((r) => r.chain_position !== null)).toBe(true);
      expect(rows.map((r) => r.chain_position)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
      expect(sealed).toBeGreaterThanOrEqual(total);
      const { rows: walked } = await sql<{ problem: string | null; entries: number }>`
        SELECT problem, entries FROM roshni_auth.audit_chain_page(0, decode(repeat('00', 32), 'hex'), 100000)`.execute(database.db);
      expect(walked[0]).toEqual({ problem: null, entries: rows.length });
    } finally {
      await writers.close();
      await sealers.close();
    }
  });

  it('a writer still in its transaction holds up no sealer, and a sealer holds up no writer', async () => {
    const writers = await openPostgres(database.url, { role: 'roshni_staff', max: 2 });
    const sealers = await openPostgres(database.url, { role: 'roshni_service', max: 2 });
    try {
      await sealAudit(sealers.db);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const slowWriter = writers.db.transaction().execute(async (trx) => {
        await trx.insertInto('audit_log').values({ actor_kind: 'system', action: 'test.slow', entity: 'writer' }).execute();
        written();
        await released;
      });
      await wrote;
      // Not yet committed: the sealer neither waits for it nor seals it.
      expect(await sealAudit(sealers.db)).toBe(0);
      // A sealer in a long transaction: a writer goes on writing.
      await sealers.db.transaction().execute(async (trx) => {
        await sealAudit(trx);
        await writers.db.insertInto('audit_log').values({ actor_kind: 'system', action: 'test.quick', entity: 'writer' }).execute();
      });
      expect(await sealAudit(sealers.db)).toBe(1);
      release();
      await slowWriter;
      // The slow entry has the lower id but committed last: it is sealed after the quick one.
      expect(await sealAudit(sealers.db)).toBe(1);
      const sealed = await database.db
        .selectFrom('audit_log')
        .select(['id', 'action', 'chain_position'])
        .where('action', 'like', 'test.%')
        .orderBy('chain_position')
        .execute();
      expect(sealed.map((e) => e.action)).toEqual(['test.quick', 'test.slow']);
      expect(sealed[1]!.id).toBeLessThan(sealed[0]!.id);
      const { rows: walked } = await sql<{ problem: string | null }>`
        SELECT problem FROM roshni_auth.audit_chain_page(0, decode(repeat('00', 32), 'hex'), 100000)`.execute(database.db);
      expect(walked[0]!.problem).toBeNull();
    } finally {
      await writers.close();
      await sealers.close();
    }
  });
});
