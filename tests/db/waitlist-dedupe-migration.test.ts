import { Migrator, sql, type Kysely, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// Migration 0025 allows one open waitlist entry per patient, service and therapist. A busy evening
// left duplicates (one patient had six); this test writes such a waitlist on the schema just before
// 0025, migrates, and reads what 0025 kept and closed.

const BEFORE_ONE_ENTRY = '2026-12-07-0024-notification-subject';

describe('migration 0025: one open waitlist entry per wish', () => {
  let database: TestDatabase;
  let db: Kysely<any>;
  const entry: Record<string, number> = {};
  const offer: Record<string, number> = {};
  let patient: number;
  let other: number;
  let service: number;
  let therapist: number;

  async function insertedId(query: RawBuilder<unknown>): Promise<number> {
    const { rows } = await (query as RawBuilder<{ id: number }>).execute(db);
    return rows[0]!.id;
  }

  const wait = (patientId: number, therapistId: number | null, created: string, from: string, to: string, status = 'waiting', urgent = false) =>
    insertedId(sql`
      INSERT INTO waitlist_entries (patient_id, service_id, therapist_id, earliest_on, latest_on, status, urgent, created_at)
      VALUES (${patientId}, ${service}, ${therapistId}::integer, ${from}, ${to}, ${status}::waitlist_status, ${urgent}, ${created}::timestamptz)
      RETURNING id`);

  async function rows() {
    const { rows: found } = await sql<{ id: number; status: string; earliest_on: string; latest_on: string; urgent: boolean }>`
      SELECT id, status, earliest_on::text, latest_on::text, urgent FROM waitlist_entries`.execute(db);
    const byId = new Map(found.map((r) => [r.id, r]));
    return Object.fromEntries(Object.entries(entry).map(([what, id]) => [what, byId.get(id)]));
  }

  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
    db = database.db;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const before = await migrator.migrateTo(BEFORE_ONE_ENTRY);
    expect(before.error).toBeUndefined();

    patient = await insertedId(sql`INSERT INTO patients (full_name) VALUES ('Asha Verma') RETURNING id`);
    other = await insertedId(sql`INSERT INTO patients (full_name) VALUES ('Kabir Rao') RETURNING id`);
    therapist = await insertedId(sql`INSERT INTO therapists (full_name) VALUES ('Meera Iyer') RETURNING id`);
    service = await insertedId(sql`
      INSERT INTO services (code, name, name_hi, duration_minutes, price_paise)
      VALUES ('dedupe-session', 'Dedupe session', 'सत्र', 45, 100000) RETURNING id`);

    // Asha joined "any therapist" three times (the second time urgent, the third for longer)…
    entry.anyFirst = await wait(patient, null, '2026-12-01T10:00:00Z', '2026-12-01', '2026-12-14');
    entry.anySecond = await wait(patient, null, '2026-12-01T10:00:05Z', '2026-12-01', '2026-12-14', 'waiting', true);
    entry.anyThird = await wait(patient, null, '2026-12-05T10:00:00Z', '2026-12-05', '2026-12-18');
    // …twice with Meera, the later entry holding an offer (kept: the offer stays answerable)…
    entry.meeraWaiting = await wait(patient, therapist, '2026-12-01T09:00:00Z', '2026-12-01', '2026-12-14');
    entry.meeraOffered = await wait(patient, therapist, '2026-12-02T09:00:00Z', '2026-12-02', '2026-12-10', 'offered');
    // …and an entry long closed, which is no duplicate of anything open. Kabir waits once.
    entry.lapsed = await wait(patient, null, '2026-11-01T09:00:00Z', '2026-11-01', '2026-11-14', 'lapsed');
    entry.kabir = await wait(other, null, '2026-12-01T10:00:00Z', '2026-12-01', '2026-12-14');
    // Kabir waits twice with Meera, each entry holding an offer (two places freed at once).
    entry.kabirOfferedFirst = await wait(other, therapist, '2026-12-01T11:00:00Z', '2026-12-01', '2026-12-14', 'offered');
    entry.kabirOfferedLater = await wait(other, therapist, '2026-12-01T11:00:05Z', '2026-12-01', '2026-12-14', 'offered');

    const slot = await insertedId(sql`
      INSERT INTO appointment_slots (therapist_id, starts_at, ends_at)
      VALUES (${therapist}, '2026-12-08T10:00:00+05:30', '2026-12-08T10:45:00+05:30') RETURNING id`);
    offer.kept = await insertedId(sql`
      INSERT INTO waitlist_offers (entry_id, slot_id, expires_at)
      VALUES (${entry.meeraOffered}, ${slot}, now() + interval '30 minutes') RETURNING id`);
    for (const [which, at] of [
      ['kabirOfferedFirst', '11:00'],
      ['kabirOfferedLater', '12:00'],
    ] as const) {
      const place = await insertedId(sql`
        INSERT INTO appointment_slots (therapist_id, starts_at, ends_at)
        VALUES (${therapist}, ${`2026-12-09T${at}:00+05:30`}::timestamptz, ${`2026-12-09T${at}:00+05:30`}::timestamptz + interval '45 minutes')
        RETURNING id`);
      offer[which] = await insertedId(sql`
        INSERT INTO waitlist_offers (entry_id, slot_id, expires_at)
        VALUES (${entry[which]}, ${place}, now() + interval '30 minutes') RETURNING id`);
    }

    expect((await migrateToLatest(db)).applied).toContain('2026-12-07-0025-one-waitlist-entry');
  });

  afterAll(() => database?.close());

  it('keeps the earliest entry (or the one holding an offer) with the widest dates, and closes the others as removed', async () => {
    expect(await rows()).toEqual({
      anyFirst: { id: entry.anyFirst, status: 'waiting', earliest_on: '2026-12-01', latest_on: '2026-12-18', urgent: true },
      anySecond: expect.objectContaining({ status: 'removed' }),
      anyThird: expect.objectContaining({ status: 'removed' }),
      meeraWaiting: expect.objectContaining({ status: 'removed' }),
      meeraOffered: { id: entry.meeraOffered, status: 'offered', earliest_on: '2026-12-01', latest_on: '2026-12-14', urgent: false },
      lapsed: expect.objectContaining({ status: 'lapsed' }),
      kabir: expect.objectContaining({ status: 'waiting', latest_on: '2026-12-14' }),
      kabirOfferedFirst: expect.objectContaining({ status: 'offered' }),
      kabirOfferedLater: expect.objectContaining({ status: 'removed' }),
    });
    const { rows: offers } = await sql<{ id: number; status: string }>`SELECT id, status FROM waitlist_offers`.execute(db);
    const statusOf = (id: number | undefined) => offers.find((o) => o.id === id)?.status;
    expect([statusOf(offer.kept), statusOf(offer.kabirOfferedFirst), statusOf(offer.kabirOfferedLater)]).toEqual(['pending', 'pending', 'expired']);
  });

  it('refuses another open entry for the same wish, "any therapist" included', async () => {
    for (const therapistId of [null, therapist]) {
      await expect(wait(patient, therapistId, '2026-12-07T10:00:00Z', '2026-12-07', '2026-12-20')).rejects.toMatchObject({
        code: '23505',
        constraint: 'waitlist_entries_one_open_per_wish',
      });
    }
    // Closed entries are history, as many as there were.
    await wait(patient, null, '2026-12-07T10:00:00Z', '2026-12-07', '2026-12-20', 'removed');
  });
});
