import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import { inTransaction, type DomainContext } from '../../src/domain/context.js';
import { loadConfig } from '../../src/infra/config.js';
import { openDatabase, openEmbedded, openPostgres, type Database } from '../../src/infra/db/database.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { assumeRoleStatement, currentRole, declareActor, SERVICE_ROLE, STAFF_ROLE, type DatabaseActorRole } from '../../src/infra/db/row-security.js';
import type { DB } from '../../src/infra/db/schema.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { checkInAppointment } from '../../src/domain/scheduling/attendance.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { slotsOn, systemContext } from '../support/clinic.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';
import { sessionFor } from '../support/staff-sessions.js';

// Defence in depth under the domain's checks: the CLI works as roshni_staff and `roshni start` as
// roshni_service, neither the tables' owner. The database believes a member of staff only through a
// live session token declared in the transaction, and shows a therapist only the clinical rows of her
// own patients: assigned to her, or seen by her (a session of hers under way or completed).
describe('row level security on the clinical records', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let desk: Database;
  let service: Database;
  const staff: Record<string, number> = {};
  const tokens: Record<string, string> = {};
  const patients: Record<string, number> = {};

  beforeAll(async () => {
    clinic = await openClinicalClinic();
    const { first, physio } = clinic.appointments;
    for (const [number, as] of [
      [first, 'priya'],
      [physio, 'meera'],
    ] as const) {
      const added = await clinic.roshni(['notes', 'add', number, '--observations', `Observed by ${as}`], as);
      expect(added.code, added.stderr).toBe(0);
    }
    const goal = await clinic.roshni(
      ['goal', 'add', '--patient', String(clinic.clinic.patients[1]!.id), '--description', 'Walks 10 m', '--baseline', '2', '--target', '10', '--json'],
      'meera',
    );
    expect(goal.code, goal.stderr).toBe(0);
    expect((await clinic.roshni(['goal', 'measure', String(JSON.parse(goal.stdout).id), '4'], 'meera')).code).toBe(0);
    for (const u of await clinic.database.db.selectFrom('staff_users').select(['id', 'username']).execute()) {
      staff[u.username] = u.id;
      tokens[u.username] = await sessionFor(clinic.database.db, u.username);
    }
    patients.priya = clinic.clinic.patients[0]!.id;
    patients.meera = clinic.clinic.patients[1]!.id;
    desk = await openPostgres(clinic.database.url, { max: 2, role: STAFF_ROLE });
    service = await openPostgres(clinic.database.url, { max: 1, role: SERVICE_ROLE });
  });
  afterAll(async () => {
    await desk?.close();
    await service?.close();
    await clinic?.close();
  });

  /**
   * A direct query as a desk computer (roshni_staff), in a transaction that presents `username`'s session
   * (null: none) and declares `role` (what the domain would say; no policy believes it on its own).
   */
  async function asSession<T>(
    username: string | null,
    query: (db: Kysely<DB>) => Promise<T>,
    options: { role?: DatabaseActorRole; token?: string } = {},
  ): Promise<T> {
    return desk.db.transaction().execute(async (trx) => {
      const session = options.token ?? (username ? tokens[username]! : null);
      await declareActor(trx, { role: options.role ?? 'admin', session });
      return query(trx);
    });
  }
  const notesOf = (db: Kysely<DB>, patientId: number) =>
    db.selectFrom('therapy_sessions').select(['patient_id', 'observations']).where('patient_id', '=', patientId).execute();
  const allNotes = (db: Kysely<DB>) => db.selectFrom('therapy_sessions').select('id').execute();

  it('the CLI connects as roshni_staff and roshni start as roshni_service, neither the owner of the tables', async () => {
    expect(await currentRole(desk.db)).toBe('roshni_staff');
    expect(await currentRole(service.db)).toBe('roshni_service');
    expect(await currentRole(clinic.database.db)).toBe('postgres');
    const config = loadConfig({ DATABASE_URL: clinic.database.url }, '/nonexistent/.env');
    for (const role of [STAFF_ROLE, SERVICE_ROLE]) {
      const opened = await openDatabase(config, { role });
      try {
        expect(await currentRole(opened.db)).toBe(role);
      } finally {
        await opened.close();
      }
    }
    // The bots and jobs never read clinical records, whoever they say they are.
    for (const table of ['therapy_sessions', 'assessments', 'goals', 'goal_measurements'] as const) {
      await expect(
        service.db.transaction().execute(async (trx) => {
          await declareActor(trx, { role: 'system' });
          return trx.selectFrom(table).selectAll().execute(); // therapy_sessions: only the ids that link a document to its session
        }),
      ).rejects.toThrow(`permission denied for table ${table}`);
    }
    // (That a desk computer's own login cannot SET ROLE to the service or the owner: tests/operations/sign-in.test.ts.)
  });

  it("a therapist's session gets nothing of another therapist's patient, even asking directly", async () => {
    expect(await asSession('priya', (db) => notesOf(db, patients.meera!), { role: 'therapist' })).toEqual([]);
    expect(await asSession('priya', (db) => notesOf(db, patients.priya!), { role: 'therapist' })).toEqual([
      { patient_id: patients.priya, observations: 'Observed by priya' },
    ]);
    // Every clinical table, without any filter at all:
    const everything = await asSession('priya', async (db) => ({
      notes: await db.selectFrom('therapy_sessions').select('patient_id').execute(),
      goals: await db.selectFrom('goals').select('patient_id').execute(),
      measurements: await db.selectFrom('goal_measurements').select('id').execute(),
    }));
    expect(everything).toEqual({ notes: [{ patient_id: patients.priya }], goals: [], measurements: [] });
    const meeras = await asSession('meera', (db) => db.selectFrom('goal_measurements').select('id').execute());
    expect(meeras).toHaveLength(1);
    // Declaring herself an admin (asSession's default role) changed nothing above: the session says who she is.
    // Nor may she write into another therapist's patient's records.
    await expect(
      asSession('priya', (db) => db.updateTable('therapy_sessions').set({ observations: 'changed' }).where('patient_id', '=', patients.meera!).execute()),
    ).resolves.toEqual([expect.objectContaining({ numUpdatedRows: 0n })]);
  });

  it('receptionists, sessions that prove no one, and settings naming someone see no clinical row; admins see all', async () => {
    expect(await asSession('desk', allNotes)).toEqual([]);
    expect(await asSession(null, allNotes)).toEqual([]);
    expect(await asSession(null, allNotes, { token: `rsh_${randomBytes(32).toString('hex')}` })).toEqual([]);
    // The settings the policies of 0010 believed: a role and a staff id, or "the system".
    const claimed = await desk.db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('roshni.actor_role', 'admin', true), set_config('roshni.staff_id', ${String(staff.anita)}, true)`.execute(trx);
      const asAdmin = await allNotes(trx);
      await sql`SELECT set_config('roshni.actor_role', 'system', true)`.execute(trx);
      return { asAdmin, asSystem: await allNotes(trx) };
    });
    expect(claimed).toEqual({ asAdmin: [], asSystem: [] });
    expect(await asSession('anita', allNotes, { role: 'receptionist' })).toHaveLength(2);
    // A session that ended (logout) opens nothing any more.
    const ended = await sessionFor(clinic.database.db, 'anita');
    expect(await asSession(null, allNotes, { token: ended })).toHaveLength(2);
    await sql`SELECT roshni_auth.sign_out(${ended})`.execute(clinic.database.db);
    expect(await asSession(null, allNotes, { token: ended })).toEqual([]);
    // The owner (migrations, backups) is not subject to the policies.
    expect(await allNotes(clinic.database.db)).toHaveLength(2);
  });

  it('the domain declares its session in every transaction, so a query that forgot its filter is still contained', async () => {
    const therapist = (username: string, therapistId: number): Actor => ({ kind: 'staff', staffUserId: staff[username]!, role: 'therapist', therapistId });
    const ctx = (actor: Actor, sessionToken?: string): DomainContext => ({
      db: desk.db,
      clock: fixedClock('2031-03-04T04:00:00Z'),
      timezone: 'Asia/Kolkata',
      actor,
      sessionToken,
    });
    const careless = (c: DomainContext) => inTransaction(c, (tx) => tx.db.selectFrom('therapy_sessions').select('observations').execute());
    expect(await careless(ctx(therapist('priya', clinic.clinic.speech.id), tokens.priya))).toEqual([{ observations: 'Observed by priya' }]);
    const anita: Actor = { kind: 'staff', staffUserId: staff.anita!, role: 'admin', therapistId: null };
    expect(await careless(ctx(anita, tokens.anita))).toHaveLength(2);
    // Without the session, the domain's word is not enough: not for an admin, not for the system on a desk computer.
    expect(await careless(ctx(anita))).toEqual([]);
    expect(await careless(ctx({ kind: 'system' }))).toEqual([]);
    // Nested: a system lookup inside a therapist's transaction sees no clinical row from a desk
    // computer, and the therapist's own view is declared again after it.
    const nested = await inTransaction(ctx(therapist('meera', clinic.clinic.physio.id), tokens.meera), async (tx) => {
      const all = await inTransaction({ ...tx, actor: { kind: 'system' } }, (inner) => inner.db.selectFrom('therapy_sessions').select('id').execute());
      const own = await tx.db.selectFrom('therapy_sessions').select('observations').execute();
      return { all: all.length, own };
    });
    expect(nested).toEqual({ all: 0, own: [{ observations: 'Observed by meera' }] });
  });

  it("after another member of staff's work nested in a transaction, the outer one's session is declared again", async () => {
    const meera: Actor = { kind: 'staff', staffUserId: staff.meera!, role: 'therapist', therapistId: clinic.clinic.physio.id };
    const anita: Actor = { kind: 'staff', staffUserId: staff.anita!, role: 'admin', therapistId: null };
    const outer: DomainContext = { db: desk.db, clock: { now: () => new Date() }, timezone: 'Asia/Kolkata', actor: meera, sessionToken: tokens.meera };
    const nested = await inTransaction(outer, async (tx) => {
      const all = await inTransaction({ ...tx, actor: anita, sessionToken: tokens.anita }, (inner) =>
        inner.db.selectFrom('therapy_sessions').select('id').execute(),
      );
      const own = await tx.db.selectFrom('therapy_sessions').select('observations').execute();
      return { all: all.length, own };
    });
    expect(nested).toEqual({ all: 2, own: [{ observations: 'Observed by meera' }] });
  });

  // Last: it leaves Priya treating Meera's patient.
  it("a booking alone does not make a patient one's own; an assignment, or a session of hers under way, does (the domain and the database agree)", async () => {
    const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
    const clock = fixedClock(`${start}T00:00:00Z`);
    const ctx = systemContext(clinic.database.db, clock);
    const day = addDays(start, 2);
    const [slot, later] = await slotsOn(ctx, clinic.clinic.speech.id, day);
    const asPriya = () => clinic.roshni(['notes', 'show', clinic.appointments.physio], 'priya');
    const priyaSees = () => asSession('priya', (db) => notesOf(db, patients.meera!));
    const meerasNotes = [{ patient_id: patients.meera, observations: 'Observed by meera' }];

    // Priya is booked with Meera's patient, once cancelled and once live: neither opens anything.
    const cancelled = await bookAppointment(ctx, { patientId: patients.meera!, serviceId: clinic.clinic.speechService.id, slotId: slot!.id });
    await cancelAppointment(ctx, { appointmentId: cancelled.id, reason: 'Family travelling' });
    const live = await bookAppointment(ctx, { patientId: patients.meera!, serviceId: clinic.clinic.speechService.id, slotId: later!.id });
    expect((await asPriya()).code).toBe(5);
    expect(await priyaSees()).toEqual([]);

    // The desk assigns her: the patient is hers, for the domain and the database; the assignment ends, and so does that.
    const patient = String(patients.meera);
    const assigned = await clinic.roshni(['patient', 'assign', patient, '--therapist', 'priya'], 'desk');
    expect(assigned.code, assigned.stderr).toBe(0);
    const shown = await asPriya();
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Observed by meera');
    expect(await priyaSees()).toEqual(meerasNotes);
    expect((await clinic.roshni(['patient', 'assign', patient, '--therapist', 'priya', '--remove'], 'desk')).code).toBe(0);
    expect((await asPriya()).code).toBe(5);
    expect(await priyaSees()).toEqual([]);
    // A therapist may not assign herself.
    expect((await clinic.roshni(['patient', 'assign', patient, '--therapist', 'priya'], 'priya')).code).toBe(5);
    expect(await priyaSees()).toEqual([]);

    // On the day, the patient checks in for Priya's session: seen by her, the patient is hers.
    clock.set(`${day}T05:00:00Z`);
    await checkInAppointment(ctx, { appointmentId: live.id });
    expect((await asPriya()).code).toBe(0);
    expect(await priyaSees()).toEqual(meerasNotes);
  });
});

describe('the append-only audit log, for the application roles', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  const opened: Database[] = [];
  beforeAll(async () => {
    clinic = await openClinicalClinic();
  });
  afterAll(async () => {
    for (const database of opened) await database.close();
    await clinic?.close();
  });

  it.each([STAFF_ROLE, SERVICE_ROLE])('%s may add entries, and is refused UPDATE, DELETE and TRUNCATE by permission (before any trigger)', async (role) => {
    const app = await openPostgres(clinic.database.url, { max: 1, role });
    opened.push(app);
    expect(await currentRole(app.db)).toBe(role);
    await app.db
      .insertInto('audit_log')
      .values({ actor_kind: 'system', action: `test.append.${role}`, entity: 'test' })
      .execute();
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
    // Not even the JSON an erasure rewrites: that goes through roshni_auth.redact_audit_for_erasure (migration 0018).
    expect(await refused(sql`UPDATE audit_log SET meta = '{}'`)).toBe('permission denied for table audit_log');
    expect(await clinic.database.db.selectFrom('audit_log').select('id').where('action', '=', `test.append.${role}`).execute()).toHaveLength(1);
  });
});

describe('the embedded database', () => {
  it('also steps down to roshni_staff after migrating, with the same policies', async () => {
    const home = makeEmbeddedHome();
    try {
      // As its owner: a patient with a clinical document, and an admin with a live session.
      let token: string;
      const owner = await openEmbedded(home);
      try {
        await migrateToLatest(owner.db);
        const ctx = systemContext(owner.db);
        const { addStaffUser } = await import('../../src/domain/people/staff.js');
        await addStaffUser(ctx, { username: 'anita', fullName: 'Anita Rao', role: 'admin' });
        const patient = await owner.db.insertInto('patients').values({ full_name: 'Kavya Nair' }).returning('id').executeTakeFirstOrThrow();
        await owner.db
          .insertInto('documents')
          .values({
            patient_id: patient.id,
            doc_type: 'report',
            access_level: 'therapist',
            sha256: randomBytes(32).toString('hex'),
            size_bytes: 1,
            mime_type: 'application/pdf',
            original_name: 'report.pdf',
          })
          .execute();
        token = await sessionFor(owner.db, 'anita');
      } finally {
        await owner.close();
      }

      const database = await openEmbedded(home, { role: STAFF_ROLE });
      try {
        expect(await currentRole(database.db)).toBe('roshni_staff');
        await expect(sql`DELETE FROM audit_log`.execute(database.db)).rejects.toThrow('permission denied for table audit_log');
        const seen = (actor: Parameters<typeof declareActor>[1]) =>
          database.db.transaction().execute(async (trx) => {
            await declareActor(trx, actor);
            return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM documents`.execute(trx)).rows[0]!.n;
          });
        expect(await seen({ role: 'admin' })).toBe(0);
        expect(await seen({ role: 'system' })).toBe(0);
        expect(await seen({ role: 'receptionist', session: token })).toBe(1); // the session, not the declared role
        expect(await seen({ role: 'admin', session: `rsh_${randomBytes(32).toString('hex')}` })).toBe(0);
        await expect(sql`SELECT count(*) FROM roshni_auth.sessions`.execute(database.db)).rejects.toThrow('permission denied');
        // Stepping down twice is harmless (assumeRoleStatement is what every new connection runs).
        await sql.raw(assumeRoleStatement(STAFF_ROLE)).execute(database.db);
        expect(await currentRole(database.db)).toBe('roshni_staff');
      } finally {
        await database.close();
      }
    } finally {
      await removeEmbeddedHome(home);
    }
  }, 180_000);
});
