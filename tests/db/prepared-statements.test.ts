import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { fixedClock } from '../../src/infra/clock.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { preparedOnce } from '../../src/infra/db/prepared-statements.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The booking statement is prepared once per connection (planning it cost more than running it);
// every other statement is sent as before.
describe('statements prepared once per connection', () => {
  let database: TestDatabase;
  let one: Database;
  const prepared = async () => (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(one.db)).rows.map((r) => r.statement);

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so that every statement below meets the same session's prepared statements.
    one = await openPostgres(database.url, { max: 1 });
  });
  afterAll(async () => {
    await one?.close();
    await database?.close();
  });

  it('prepares a marked statement once, runs it with each call’s values, and leaves others unprepared', async () => {
    const sum = (a: number, b: number) => preparedOnce(sql<{ n: number }>`SELECT ${a}::integer + ${b}::integer AS n`).execute(one.db);
    expect((await sum(1, 2)).rows[0]!.n).toBe(3);
    expect((await sum(20, 22)).rows[0]!.n).toBe(42);
    await sql`SELECT ${5}::integer AS unmarked`.execute(one.db);
    const statements = await prepared();
    expect(statements.filter((s) => s.includes('+ $2::integer AS n'))).toHaveLength(1);
    expect(statements.filter((s) => s.includes('AS unmarked'))).toHaveLength(0);
  });

  it('prepares the booking statement, which still books and refuses as before', async () => {
    const ctx = systemContext(one.db, fixedClock('2031-03-03T09:00:00+05:30'));
    const clinic = await seedClinic(ctx, { patients: 2, days: 3 });
    const [first, second] = await slotsOn(ctx, clinic.speech.id, '2031-03-04');
    const [a, b] = clinic.patients;
    const book = (patientId: number, slotId: number) => bookAppointment(ctx, { patientId, slotId, serviceId: clinic.speechService.id });
    await book(a!.id, first!.id);
    await book(b!.id, second!.id);
    await expect(book(b!.id, first!.id)).rejects.toThrow(/taken|full|booked/i);
    expect((await prepared()).filter((s) => s.includes('INSERT INTO appointments'))).toHaveLength(1);
    const booked = await one.db.selectFrom('appointments').select('slot_id').orderBy('id').execute();
    expect(booked.map((r) => r.slot_id)).toEqual([first!.id, second!.id]);
  });
});
