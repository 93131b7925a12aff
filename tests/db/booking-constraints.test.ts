import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { atOnce, settle, why } from '../support/concurrency.js';

// The clinic's promises about bookings and money are kept by the schema itself, so they
// hold whoever writes: the CLI, the bots, the waitlist, two receptionists at once.
// Each scenario races real connections against each other on its own day of the calendar.

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

interface Booking {
  patient: number;
  therapist: number;
  service: number;
  startsAt: string;
  minutes?: number;
  slot?: number;
}

/** Clinic-local time (IST) as an ISO timestamp. */
const at = (day: string, time: string) => `${day}T${time}:00+05:30`;

async function book(db: Queryable, booking: Booking): Promise<{ id: number; appointment_number: string }> {
  const { rows } = await db.query(
    `INSERT INTO appointments (patient_id, therapist_id, service_id, slot_id, starts_at, ends_at, price_paise)
     VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz + make_interval(mins => $6),
             (SELECT price_paise FROM services WHERE id = $3))
     RETURNING id, appointment_number`,
    [booking.patient, booking.therapist, booking.service, booking.slot ?? null, booking.startsAt, booking.minutes ?? 45],
  );
  return rows[0];
}

describe('the booking and billing rules, raced on real connections', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let meera: number; // speech therapist
  let arjun: number; // occupational therapist
  let kavya: number; // runs the group sessions
  let rohan: number; // physiotherapist
  let patients: number[];
  let speech: number;
  let occupational: number;
  let physio: number;
  let group: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 60 });
    const { db } = database;
    [meera, arjun, kavya, rohan] = (
      await db
        .insertInto('therapists')
        .values(['Meera Iyer', 'Arjun Menon', 'Kavya Rao', 'Rohan Das'].map((full_name) => ({ full_name })))
        .returning('id')
        .execute()
    ).map((t) => t.id) as [number, number, number, number];
    patients = (
      await db
        .insertInto('patients')
        .values(Array.from({ length: 60 }, (_, i) => ({ full_name: `Child ${i + 1}` })))
        .returning('id')
        .execute()
    ).map((p) => p.id);
    const services = await db.selectFrom('services').select(['id', 'code']).execute();
    const service = (code: string) => services.find((s) => s.code === code)!.id;
    speech = service('speech-therapy');
    occupational = service('occupational-therapy');
    physio = service('physiotherapy');
    group = service('group-social-skills');
  });
  afterAll(async () => {
    await pool?.end();
    await database?.close();
  });

  const patient = (index: number) => patients[index]!;

  async function openSlot(therapist: number, startsAt: string, slot: { maxBookings?: number; service?: number; blocked?: string } = {}) {
    const { rows } = await pool.query(
      `INSERT INTO appointment_slots (therapist_id, service_id, starts_at, ends_at, max_bookings, status, blocked_reason)
       VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '45 minutes', $4, $5, $6) RETURNING id`,
      [therapist, slot.service ?? null, startsAt, slot.maxBookings ?? 1, slot.blocked ? 'blocked' : 'open', slot.blocked ?? null],
    );
    return rows[0].id as number;
  }

  async function liveAppointments(where: string, values: unknown[]): Promise<number> {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM appointments WHERE status <> 'cancelled' AND ${where}`, values);
    return rows[0].n;
  }

  it("fifty families ask for Meera's 10:00 at the same moment: one gets it, forty-nine are told it is taken", async () => {
    const startsAt = at('2026-12-07', '10:00');
    const { succeeded, refused } = await atOnce(pool, 50, (client, i) => book(client, { patient: patient(i), therapist: meera, service: speech, startsAt }));
    expect(succeeded).toHaveLength(1);
    expect(refused).toHaveLength(49);
    expect(new Set(refused.map(why))).toEqual(new Set(['23P01 appointments_therapist_no_overlap']));
    expect(await liveAppointments('therapist_id = $1 AND starts_at = $2', [meera, startsAt])).toBe(1);
  });

  // Without the lock of migration 0015 these deadlock: the desk's row waits on the first session
  // while the second session waits on the desk's row, and PostgreSQL breaks it a second later with 40P01.
  it.each([
    [
      'books',
      '2026-12-21',
      async (desk: pg.PoolClient, startsAt: string) => {
        await book(desk, { patient: patient(2), therapist: meera, service: speech, startsAt });
      },
    ],
    [
      'moves an appointment',
      '2026-12-22',
      async (desk: pg.PoolClient, startsAt: string) => {
        const { id } = await book(desk, { patient: patient(2), therapist: arjun, service: speech, startsAt });
        await desk.query(`UPDATE appointments SET therapist_id = $1 WHERE id = $2`, [meera, id]);
      },
    ],
  ] as const)('the desk %s into the middle of a double session being written: it waits, then is told the time is taken', async (_, day, deskWrites) => {
    const double = await pool.connect();
    const desk = await pool.connect();
    try {
      await double.query('BEGIN');
      await book(double, { patient: patient(1), therapist: meera, service: speech, startsAt: at(day, '10:00') });
      const deskPid: number = (await desk.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await desk.query('BEGIN');
      const deskDone = deskWrites(desk, at(day, '10:30')).then(
        () => desk.query('COMMIT').then(() => 'committed'),
        async (error: pg.DatabaseError) => (await desk.query('ROLLBACK'), why(error)),
      );
      await waitUntilBlocked(deskPid);
      await book(double, { patient: patient(1), therapist: meera, service: speech, startsAt: at(day, '11:00') });
      await double.query('COMMIT');
      expect(await deskDone).toBe('23P01 appointments_therapist_no_overlap');
      expect(await liveAppointments(`therapist_id = $1 AND starts_at::date = $2::date`, [meera, day])).toBe(2);
    } finally {
      double.release();
      desk.release();
    }
  });

  async function waitUntilBlocked(pid: number) {
    for (let tries = 0; tries < 500; tries++) {
      const { rows } = await pool.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid]);
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`connection ${pid} never waited`);
  }

  it('back-to-back sessions do not clash, and a cancellation frees the time for someone else', async () => {
    const day = '2026-12-08';
    const first = await book(pool, { patient: patient(0), therapist: meera, service: speech, startsAt: at(day, '09:00') });
    await book(pool, { patient: patient(1), therapist: meera, service: speech, startsAt: at(day, '09:45') });

    const latecomer = { patient: patient(2), therapist: meera, service: speech, startsAt: at(day, '09:00') };
    await expect(book(pool, latecomer)).rejects.toMatchObject({
      code: '23P01',
      constraint: 'appointments_therapist_no_overlap',
    });

    await pool.query(`UPDATE appointments SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'patient' WHERE id = $1`, [first.id]);
    await expect(book(pool, latecomer)).resolves.toMatchObject({ appointment_number: expect.any(String) });
  });

  it("twenty families race for Kavya's group session of four: four get in, sixteen find it full", async () => {
    const startsAt = at('2026-12-09', '11:00');
    const slot = await openSlot(kavya, startsAt, { maxBookings: 4, service: group });
    const { succeeded, refused } = await atOnce(pool, 20, (client, i) =>
      book(client, { patient: patient(i), therapist: kavya, service: group, startsAt, slot }),
    );
    expect(succeeded).toHaveLength(4);
    expect(refused.map(why)).toEqual(Array(16).fill('23514 appointment_slot_capacity'));
    expect(await liveAppointments('slot_id = $1', [slot])).toBe(4);
  });

  it("thirty families race for Arjun's one-to-one slot: exactly one gets it", async () => {
    const startsAt = at('2026-12-09', '12:00');
    const slot = await openSlot(arjun, startsAt);
    const { succeeded, refused } = await atOnce(pool, 30, (client, i) =>
      book(client, { patient: patient(i), therapist: arjun, service: occupational, startsAt, slot }),
    );
    expect(succeeded).toHaveLength(1);
    expect(refused.map(why)).toEqual(Array(29).fill('23514 appointment_slot_capacity'));
    expect(await liveAppointments('slot_id = $1', [slot])).toBe(1);
  });

  it('a child cannot be in two sessions at once: mother books on Telegram as reception books at the desk', async () => {
    const day = '2026-12-10';
    const child = patient(5);
    const { succeeded, refused } = await atOnce(pool, 2, (client, i) =>
      i === 0
        ? book(client, { patient: child, therapist: meera, service: speech, startsAt: at(day, '15:00') })
        : book(client, { patient: child, therapist: arjun, service: occupational, startsAt: at(day, '15:30') }),
    );
    expect(succeeded).toHaveLength(1);
    expect(refused.map(why)).toEqual(['23P01 appointments_patient_no_overlap']);

    // Later that afternoon, either session is fine.
    await expect(book(pool, { patient: child, therapist: arjun, service: occupational, startsAt: at(day, '17:00') })).resolves.toBeDefined();
  });

  it('a slot blocked for staff training refuses bookings', async () => {
    const startsAt = at('2026-12-11', '14:00');
    const slot = await openSlot(rohan, startsAt, { blocked: 'Staff training' });
    await expect(book(pool, { patient: patient(0), therapist: rohan, service: physio, startsAt, slot })).rejects.toMatchObject({
      code: '23514',
      constraint: 'appointment_slot_open',
    });
    expect(await liveAppointments('slot_id = $1', [slot])).toBe(0);
  });

  it('an appointment must sit in its slot: the same therapist, start and (for a service slot) service', async () => {
    const startsAt = at('2026-12-14', '11:00');
    const slot = await openSlot(rohan, startsAt);
    for (const wrong of [
      { therapist: arjun, startsAt },
      { therapist: rohan, startsAt: at('2026-12-14', '11:15') },
    ]) {
      await expect(book(pool, { patient: patient(1), service: physio, slot, ...wrong })).rejects.toMatchObject({
        code: '23514',
        constraint: 'appointment_slot_match',
      });
    }
    expect(await liveAppointments('slot_id = $1', [slot])).toBe(0);
  });

  describe('numbers handed out at the same moment are all distinct', () => {
    it('200 appointments booked at once get 200 APT- numbers', async () => {
      const { succeeded, refused } = await settle(
        Array.from({ length: 200 }, (_, hour) =>
          book(pool, {
            patient: patient(hour % patients.length),
            therapist: rohan,
            service: physio,
            startsAt: new Date(Date.parse(at('2027-01-04', '08:00')) + hour * 3_600_000).toISOString(),
          }),
        ),
      );
      expect(refused).toEqual([]);
      const numbers = succeeded.map((a) => a.appointment_number);
      expect(new Set(numbers).size).toBe(200);
      for (const number of numbers) expect(number).toMatch(/^APT-\d{6}$/);
    });

    it('200 payments recorded at once get 200 PAY- references', async () => {
      const appointment = await book(pool, { patient: patient(7), therapist: rohan, service: physio, startsAt: at('2027-02-01', '09:00') });
      const { succeeded, refused } = await settle(
        Array.from({ length: 200 }, () =>
          pool.query(
            `INSERT INTO payments (patient_id, appointment_id, amount_paise, method) VALUES ($1, $2, 100, 'cash')
             RETURNING reference`,
            [patient(7), appointment.id],
          ),
        ),
      );
      expect(refused).toEqual([]);
      const references = succeeded.map((r) => r.rows[0].reference as string);
      expect(new Set(references).size).toBe(200);
      for (const reference of references) expect(reference).toMatch(/^PAY-\d{6}$/);
    });

    it('200 patients registered at once get 200 P- numbers', async () => {
      const { succeeded, refused } = await settle(
        Array.from({ length: 200 }, (_, i) => pool.query('INSERT INTO patients (full_name) VALUES ($1) RETURNING patient_number', [`Walk-in ${i}`])),
      );
      expect(refused).toEqual([]);
      const numbers = succeeded.map((r) => r.rows[0].patient_number as string);
      expect(new Set(numbers).size).toBe(200);
      for (const number of numbers) expect(number).toMatch(/^P-\d{5}$/);
    });

    it('numbers outgrow their padding instead of being cut short', async () => {
      const {
        rows: [numbering],
      } = await pool.query(`SELECT last_value, is_called FROM patient_number_seq`);
      await pool.query(`SELECT setval('patient_number_seq', 99999)`);
      try {
        const { rows } = await pool.query(`INSERT INTO patients (full_name) VALUES ('Walk-in A'), ('Walk-in B') RETURNING patient_number`);
        expect(rows.map((r) => r.patient_number)).toEqual(['P-100000', 'P-100001']);
      } finally {
        // The numbering goes on from where it was, for the patients registered after this test.
        await pool.query(`SELECT setval('patient_number_seq', $1, $2)`, [numbering.last_value, numbering.is_called]);
      }
    });
  });

  it('ten staff refunding 40% of one ₹1,000 payment at once: two refunds go through, never more than was paid', async () => {
    const appointment = await book(pool, { patient: patient(8), therapist: meera, service: speech, startsAt: at('2026-12-14', '10:00') });
    const { rows } = await pool.query(
      `INSERT INTO payments (patient_id, appointment_id, amount_paise, method, state, paid_at)
       VALUES ($1, $2, 100000, 'upi', 'completed', now()) RETURNING id`,
      [patient(8), appointment.id],
    );
    const payment = rows[0].id as number;
    const { succeeded, refused } = await atOnce(pool, 10, (client) =>
      client.query(`INSERT INTO refunds (payment_id, amount_paise, reason) VALUES ($1, 40000, 'Session cancelled by clinic')`, [payment]),
    );
    expect(succeeded).toHaveLength(2);
    expect(refused.map(why)).toEqual(Array(8).fill('23514 refund_within_payment'));
    const total = await pool.query('SELECT sum(amount_paise)::int AS paise FROM refunds WHERE payment_id = $1', [payment]);
    expect(total.rows[0].paise).toBe(80000);
  });

  it('the audit log is append-only: entries cannot be edited, deleted or truncated away', async () => {
    const { db } = database;
    const entry = await db
      .insertInto('audit_log')
      .values({ actor_kind: 'staff', actor_id: 1, action: 'appointment.cancel', entity: 'appointment', entity_id: '42' })
      .returningAll()
      .executeTakeFirstOrThrow();

    const appendOnly = { code: '42501', message: 'audit_log is append-only' };
    await expect(db.updateTable('audit_log').set({ outcome: 'denied' }).where('id', '=', entry.id).execute()).rejects.toMatchObject(appendOnly);
    await expect(db.deleteFrom('audit_log').where('id', '=', entry.id).execute()).rejects.toMatchObject(appendOnly);
    await expect(pool.query('TRUNCATE audit_log')).rejects.toMatchObject(appendOnly);

    expect(await db.selectFrom('audit_log').selectAll().where('id', '=', entry.id).executeTakeFirst()).toEqual(entry);
  });
});
