import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import { inTransaction, type DomainContext } from '../../src/domain/context.js';
import { loadConfig } from '../../src/infra/config.js';
import { openDatabase, openEmbedded, openPostgres, type Database } from '../../src/infra/db/database.js';
import { ASSUME_APP_ROLE, currentRole, declareActor } from '../../src/infra/db/row-security.js';
import type { DB } from '../../src/infra/db/schema.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { slotsOn, systemContext } from '../support/clinic.js';

// Defence in depth under the domain's checks: the application works as roshni_app, and the database
// itself shows a therapist's session only the clinical rows of that therapist's own patients.
describe('row level security on the clinical records', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let app: Database;
  const staff: Record<string, number> = {};
  const patients: Record<string, number> = {};

  beforeAll(async () => {
    clinic = await openClinicalClinic();
    const { first, physio } = clinic.appointments;
    for (const [number, as] of [[first, 'priya'], [physio, 'meera']] as const) {
      const added = await clinic.roshni(['notes', 'add', number, '--observations', `Observed by ${as}`], as);
      expect(added.code, added.stderr).toBe(0);
    }
    const goal = await clinic.roshni(['goal', 'add', '--patient', String(clinic.clinic.patients[1]!.id), '--description', 'Walks 10 m', '--baseline', '2', '--target', '10', '--json'], 'meera');
    expect(goal.code, goal.stderr).toBe(0);
    expect((await clinic.roshni(['goal', 'measure', String(JSON.parse(goal.stdout).id), '4'], 'meera')).code).toBe(0);
    for (const u of await clinic.database.db.selectFrom('staff_users').select(['id', 'username']).execute()) staff[u.username] = u.id;
    patients.priya = clinic.clinic.patients[0]!.id;
    patients.meera = clinic.clinic.patients[1]!.id;
    app = await openPostgres(clinic.database.url, { max: 2, appRole: true });
  });
  afterAll(async () => {
    await app?.close();
    await clinic?.close();
  });

  /** A direct query, in a transaction that declared the actor, as the application's role. */
  async function asSession<T>(role: 'admin' | 'receptionist' | 'therapist' | null, username: string | null, query: (db: Kysely<DB>) => Promise<T>): Promise<T> {
    return app.db.transaction().execute(async (trx) => {
      if (role) await declareActor(trx, { role, staffId: username ? staff[username]! : null });
      return query(trx);
    });
  }
  const notesOf = (db: Kysely<DB>, patientId: number) => db.selectFrom('therapy_sessions').select(['patient_id', 'observations']).where('patient_id', '=', patientId).execute();

  it('the application connects as roshni_app, not as the owner of the tables', async () => {
    expect(await currentRole(app.db)).toBe('roshni_app');
    expect(await currentRole(clinic.database.db)).toBe('postgres');
    const config = loadConfig({ DATABASE_URL: clinic.database.url }, '/nonexistent/.env');
    const opened = await openDatabase(config, { appRole: true });
    try {
      expect(await currentRole(opened.db)).toBe('roshni_app');
    } finally {
      await opened.close();
    }
  });

  it("a therapist's session gets nothing of another therapist's patient, even asking directly", async () => {
    expect(await asSession('therapist', 'priya', (db) => notesOf(db, patients.meera!))).toEqual([]);
    expect(await asSession('therapist', 'priya', (db) => notesOf(db, patients.priya!))).toEqual([{ patient_id: patients.priya, observations: 'Observed by priya' }]);
    // Every clinical table, without any filter at all:
    const everything = await asSession('therapist', 'priya', async (db) => ({
      notes: await db.selectFrom('therapy_sessions').select('patient_id').execute(),
      goals: await db.selectFrom('goals').select('patient_id').execute(),
      measurements: await db.selectFrom('goal_measurements').select('id').execute(),
    }));
    expect(everything).toEqual({ notes: [{ patient_id: patients.priya }], goals: [], measurements: [] });
    const meeras = await asSession('therapist', 'meera', (db) => db.selectFrom('goal_measurements').select('id').execute());
    expect(meeras).toHaveLength(1);
    // Nor may it write into another therapist's patient's records.
    await expect(
      asSession('therapist', 'priya', (db) => db.updateTable('therapy_sessions').set({ observations: 'changed' }).where('patient_id', '=', patients.meera!).execute()),
    ).resolves.toEqual([expect.objectContaining({ numUpdatedRows: 0n })]);
  });

  it("a cancelled booking does not make a patient one's own; a live one does (the domain and the database agree)", async () => {
    // Priya is booked with Meera's patient on the clinic's last seeded day, and the booking is cancelled.
    const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
    const ctx = systemContext(clinic.database.db, fixedClock(`${start}T00:00:00Z`));
    const [slot, later] = await slotsOn(ctx, clinic.clinic.speech.id, addDays(start, 2));
    const booked = await bookAppointment(ctx, { patientId: patients.meera!, serviceId: clinic.clinic.speechService.id, slotId: slot!.id });
    await cancelAppointment(ctx, { appointmentId: booked.id, reason: 'Family travelling' });
    const asPriya = () => clinic.roshni(['notes', 'show', clinic.appointments.physio], 'priya');
    expect((await asPriya()).code).toBe(5);
    expect(await asSession('therapist', 'priya', (db) => notesOf(db, patients.meera!))).toEqual([]);
    const live = await bookAppointment(ctx, { patientId: patients.meera!, serviceId: clinic.clinic.speechService.id, slotId: later!.id });
    const shown = await asPriya();
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Observed by meera');
    expect(await asSession('therapist', 'priya', (db) => notesOf(db, patients.meera!))).toEqual([{ patient_id: patients.meera, observations: 'Observed by meera' }]);
    await cancelAppointment(ctx, { appointmentId: live.id, reason: 'Family travelling' }); // as the other tests expect
    expect(await asSession('therapist', 'priya', (db) => notesOf(db, patients.meera!))).toEqual([]);
  });

  it('receptionists and undeclared sessions see no clinical row; admins see all', async () => {
    expect(await asSession('receptionist', 'desk', (db) => db.selectFrom('therapy_sessions').select('id').execute())).toEqual([]);
    expect(await asSession(null, null, (db) => db.selectFrom('therapy_sessions').select('id').execute())).toEqual([]);
    expect(await asSession('admin', 'anita', (db) => db.selectFrom('therapy_sessions').select('id').execute())).toHaveLength(2);
    // The owner (migrations, backups) is not subject to the policies.
    expect(await clinic.database.db.selectFrom('therapy_sessions').select('id').execute()).toHaveLength(2);
  });

  it('the domain declares its actor in every transaction, so a query that forgot its filter is still contained', async () => {
    const therapist = (username: string, therapistId: number): Actor => ({ kind: 'staff', staffUserId: staff[username]!, role: 'therapist', therapistId });
    const ctx = (actor: Actor): DomainContext => ({ db: app.db, clock: { now: () => new Date() }, timezone: 'Asia/Kolkata', actor });
    const careless = (c: DomainContext) => inTransaction(c, (tx) => tx.db.selectFrom('therapy_sessions').select('observations').execute());
    expect(await careless(ctx(therapist('priya', clinic.clinic.speech.id)))).toEqual([{ observations: 'Observed by priya' }]);
    expect(await careless(ctx({ kind: 'system' }))).toHaveLength(2);
    // Nested: a system lookup inside a therapist's transaction, and the therapist's view again after it.
    const nested = await inTransaction(ctx(therapist('meera', clinic.clinic.physio.id)), async (tx) => {
      const all = await inTransaction({ ...tx, actor: { kind: 'system' } }, (inner) => inner.db.selectFrom('therapy_sessions').select('id').execute());
      const own = await tx.db.selectFrom('therapy_sessions').select('observations').execute();
      return { all: all.length, own };
    });
    expect(nested).toEqual({ all: 2, own: [{ observations: 'Observed by meera' }] });
  });
});

describe('the append-only audit log, for the application role', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let app: Database;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
    app = await openPostgres(clinic.database.url, { max: 1, appRole: true });
  });
  afterAll(async () => {
    await app?.close();
    await clinic?.close();
  });

  it('may add entries, and is refused UPDATE, DELETE and TRUNCATE by permission (before any trigger)', async () => {
    await app.db.insertInto('audit_log').values({ actor_kind: 'system', action: 'test.append', entity: 'test' }).execute();
    const refused = async (statement: ReturnType<typeof sql>) => {
      try {
        await statement.execute(app.db);
        return 'allowed';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(await refused(sql`UPDATE audit_log SET action = 'rewritten'`)).toBe('permission denied for table audit_log');
    expect(await refused(sql`UPDATE audit_log SET at = now()`)).toBe('permission denied for table audit_log');
    expect(await refused(sql`DELETE FROM audit_log`)).toBe('permission denied for table audit_log');
    expect(await refused(sql`TRUNCATE audit_log`)).toBe('permission denied for table audit_log');
    // The JSON an erasure rewrites is the one column set it may touch, and the trigger still says no
    // outside an erasure of that patient.
    expect(await refused(sql`UPDATE audit_log SET meta = '{}'`)).toBe('audit_log is append-only');
    expect(await app.db.selectFrom('audit_log').select('id').where('action', '=', 'test.append').execute()).toHaveLength(1);
  });
});

describe('the embedded database', () => {
  it('also steps down to roshni_app after migrating, with the same policies', async () => {
    const home = mkdtempSync(join(tmpdir(), 'roshni-rls-embedded-'));
    try {
      const database = await openEmbedded(home, { appRole: true });
      try {
        expect(await currentRole(database.db)).toBe('roshni_app');
        await expect(sql`DELETE FROM audit_log`.execute(database.db)).rejects.toThrow('permission denied for table audit_log');
        const seen = await database.db.transaction().execute(async (trx) => {
          await declareActor(trx, { role: 'receptionist', staffId: 1 });
          return sql<{ n: number }>`SELECT count(*)::int AS n FROM therapy_sessions`.execute(trx);
        });
        expect(seen.rows[0]!.n).toBe(0);
        // Stepping down twice is harmless (ASSUME_APP_ROLE is what every new connection runs).
        await sql.raw(ASSUME_APP_ROLE).execute(database.db);
        expect(await currentRole(database.db)).toBe('roshni_app');
      } finally {
        await database.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
