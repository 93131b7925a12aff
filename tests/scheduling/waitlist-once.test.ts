import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToWaitlist, changeWaitlistDates, removeFromWaitlist } from '../../src/domain/scheduling/waitlist.js';
import { fixedClock } from '../../src/infra/clock.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { settle } from '../support/concurrency.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';

// One waiting entry per patient, service and therapist ("any therapist" being one choice): a second
// join changes nothing and says until when the patient already waits, even when two taps arrive at once.
describe('a patient waits once for a service', () => {
  let database: TestDatabase;
  let pool: Database;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  const clock = fixedClock('2027-04-01T03:00:00Z'); // 08:30 IST
  const ctx = () => systemContext(database.db, clock);
  const onPool = () => systemContext(pool.db, clock);

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = await openPostgres(database.url, { max: 4 });
    clinic = await seedClinic(ctx(), { patients: 6, days: 2 });
  });
  afterAll(async () => {
    await pool?.close();
    await database?.close();
  });

  const entriesOf = (patientId: number) =>
    database.db
      .selectFrom('waitlist_entries')
      .select(['id', 'status', 'therapist_id', 'earliest_on', 'latest_on'])
      .where('patient_id', '=', patientId)
      .orderBy('id')
      .execute();

  it('joining again changes nothing and names the dates already waited for', async () => {
    const patient = clinic.patients[0]!;
    const wish = { patientId: patient.id, serviceId: clinic.speechService.id };
    const first = await addToWaitlist(ctx(), { ...wish, from: '2027-04-01', to: '2027-04-14' });
    const again = await addToWaitlist(ctx(), { ...wish, from: '2027-04-03', to: '2027-04-20' });
    expect(first).toMatchObject({ alreadyWaiting: false });
    expect(again).toMatchObject({ alreadyWaiting: true, id: first.id, earliest_on: '2027-04-01', latest_on: '2027-04-14' });
    expect(await entriesOf(patient.id)).toHaveLength(1);
    // With one therapist in particular, it is another wish; "any therapist" twice is the same one.
    const withPriya = await addToWaitlist(ctx(), { ...wish, therapistId: clinic.speech.id, from: '2027-04-01', to: '2027-04-14' });
    expect(withPriya.alreadyWaiting).toBe(false);
    expect((await addToWaitlist(ctx(), { ...wish, therapistId: clinic.speech.id, from: '2027-04-01', to: '2027-04-14' })).alreadyWaiting).toBe(true);
    expect(await entriesOf(patient.id)).toHaveLength(2);
  });

  it('two taps at once leave one entry, and both hear about it', async () => {
    const patient = clinic.patients[1]!;
    const join = () => addToWaitlist(onPool(), { patientId: patient.id, serviceId: clinic.speechService.id, from: '2027-04-01', to: '2027-04-14' });
    const { succeeded, refused } = await settle([join(), join()]);
    expect(refused).toEqual([]);
    const rows = await entriesOf(patient.id);
    expect(rows).toHaveLength(1);
    expect(succeeded.map((r) => r.id)).toEqual([rows[0]!.id, rows[0]!.id]);
    expect(succeeded.map((r) => r.alreadyWaiting).sort()).toEqual([false, true]);
  });

  it('a join that passed the check while another was still writing waits for it, then adds nothing', async () => {
    const patient = clinic.patients[2]!;
    const wish = { patientId: patient.id, serviceId: clinic.physioService.id, from: '2027-04-01', to: '2027-04-07' };
    let second: Promise<Awaited<ReturnType<typeof addToWaitlist>>> | undefined;
    const first = await pool.db.transaction().execute(async (trx) => {
      const entry = await addToWaitlist({ ...onPool(), db: trx }, wish);
      // The other tap's check finds nothing (this entry is not committed); its insert must wait for this one.
      second = addToWaitlist(onPool(), wish);
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query ILIKE 'insert into "waitlist_entries"%'`.execute(database.db);
          return rows[0]!.n === 1;
        },
        10_000,
        'the second join to wait on the first',
      );
      return entry;
    });
    const answer = await second!;
    expect(answer).toMatchObject({ alreadyWaiting: true, id: first.id });
    expect(await entriesOf(patient.id)).toHaveLength(1);
  });

  it('an entry taken off, or whose last day has passed, no longer stands in the way', async () => {
    const patient = clinic.patients[3]!;
    const wish = { patientId: patient.id, serviceId: clinic.speechService.id };
    const removed = await addToWaitlist(ctx(), { ...wish, from: '2027-04-01', to: '2027-04-14' });
    await removeFromWaitlist(ctx(), { entryId: removed.id });
    const past = await addToWaitlist(ctx(), { ...wish, from: '2027-04-01', to: '2027-04-01' });
    expect(past.alreadyWaiting).toBe(false);
    clock.set('2027-04-02T03:00:00Z');
    try {
      const next = await addToWaitlist(ctx(), { ...wish, from: '2027-04-02', to: '2027-04-09' });
      expect(next.alreadyWaiting).toBe(false);
    } finally {
      clock.set('2027-04-01T03:00:00Z');
    }
    expect((await entriesOf(patient.id)).map((e) => e.status)).toEqual(['removed', 'lapsed', 'waiting']);
  });

  it('the dates of the entry waiting change in place, audited', async () => {
    const patient = clinic.patients[4]!;
    const entry = await addToWaitlist(ctx(), { patientId: patient.id, serviceId: clinic.speechService.id, from: '2027-04-01', to: '2027-04-14' });
    const changed = await changeWaitlistDates(ctx(), { entryId: entry.id, from: '2027-04-01', to: '2027-04-28' });
    expect(changed).toMatchObject({ id: entry.id, earliest_on: '2027-04-01', latest_on: '2027-04-28', status: 'waiting' });
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['before', 'after'])
      .where('action', '=', 'waitlist.change_dates')
      .where('entity_id', '=', String(entry.id))
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ before: { from: '2027-04-01', to: '2027-04-14' }, after: { from: '2027-04-01', to: '2027-04-28' } });
    await removeFromWaitlist(ctx(), { entryId: entry.id });
    await expect(changeWaitlistDates(ctx(), { entryId: entry.id, from: '2027-04-01', to: '2027-04-30' })).rejects.toThrow(/No open waitlist entry/);
  });
});
