import { sql } from 'kysely';
import { systemActor } from '../../src/domain/actor.js';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import type { DomainContext } from '../../src/domain/context.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { addTherapist } from '../../src/domain/people/therapists.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { parseWeeklyHours, setWorkingHours } from '../../src/domain/scheduling/working-hours.js';
import { addDays, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';
import { onTerminal } from '../support/terminal.js';

// A small clinic for the calendar tests: Dr. Priya Sharma (speech, Mon–Fri with a lunch break and
// Saturday mornings) and Arjun Mehta (occupational therapy, Mon–Sat mornings), a desk and patients.
// Its clock is pinned to the Saturday before its first week, for the domain and the CLI alike: the
// tests hold whatever day they run.

/** A Monday; each test takes its own week from here, so tests do not step on each other. */
export const FIRST_MONDAY = '2031-03-03';
/** Saturday 1 March 2031, 10:00 at the clinic. */
const NOW = '2031-03-01T04:30:00Z';
export const week = (n: number) => ({ monday: addDays(FIRST_MONDAY, 7 * n), sunday: addDays(FIRST_MONDAY, 7 * n + 6) });
export const day = (monday: string, weekday: number) => addDays(monday, weekday - 1);

export const PRIYA_HOURS = ['mon-fri 09:00-13:00', 'mon-fri 14:00-18:00', 'sat 09:00-13:00'];
export const ARJUN_HOURS = ['mon-sat 10:00-13:00'];
/** 45-minute slots with 15 minutes between: Priya 8 a weekday + 4 on Saturday, Arjun 3 a day. */
export const SLOTS_PER_WEEK = { priya: 5 * 8 + 4, arjun: 6 * 3 };

export interface CalendarClinic {
  database: TestDatabase;
  ctx: DomainContext;
  priya: number;
  arjun: number;
  patients: number[];
  serviceId(code: string): Promise<number>;
  /** `roshni …` against this clinic's database, as a signed-in member of staff (the admin unless told) would run it. */
  cli(argv: string[], user?: string): ReturnType<typeof runCli>;
  /** The same on a terminal that answers its prompts (see onTerminal). */
  terminal(argv: string[], steps: Array<[prompt: string, keys: string]>, user?: string): ReturnType<typeof onTerminal>;
  close(): Promise<void>;
}

export async function openCalendarClinic(): Promise<CalendarClinic> {
  const database = await createTestDatabase();
  const clock = fixedClock(NOW);
  const ctx: DomainContext = { db: database.db, clock, timezone: 'Asia/Kolkata', actor: systemActor };
  await saveClinicSettings(ctx, { name: 'Sunrise Child Therapy' });
  await addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
  await addStaffUser(ctx, { username: 'farhan.desk', fullName: 'Farhan Sheikh', role: 'receptionist' });
  const therapist = async (username: string, fullName: string, specialization: string, hours: string[]) => {
    const user = await addStaffUser(ctx, { username, fullName, role: 'therapist' });
    const { id } = await addTherapist(ctx, { fullName, specializations: [specialization], staffUserId: user.id });
    await setWorkingHours(ctx, { therapistId: id, blocks: hours.flatMap(parseWeeklyHours) });
    return id;
  };
  const priya = await therapist('priya.slp', 'Dr. Priya Sharma', 'slp', PRIYA_HOURS);
  const arjun = await therapist('arjun.ot', 'Arjun Mehta', 'ot', ARJUN_HOURS);
  const patients: number[] = [];
  for (const fullName of ['Aarav Gupta', 'Diya Gupta', 'Kavya Nair', 'Rohan Verma', 'Iqbal Khan']) {
    patients.push((await addPatient(ctx, { fullName })).id);
  }
  // Each member of staff is signed in once (a session made by the database's owner).
  const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
  return {
    database,
    ctx,
    priya,
    arjun,
    patients,
    serviceId: async (code) => (await database.db.selectFrom('services').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id,
    cli: async (argv, user = 'anita.admin') => runCli(argv, await signedIn(user), { clock }),
    terminal: async (argv, steps, user = 'anita.admin') => onTerminal(argv, await signedIn(user), steps, { clock }),
    close: () => database.close(),
  };
}

/** A therapist's slots on some clinic days, in time order. */
export async function slotsOf(clinic: CalendarClinic, therapistId: number, from: string, to = from) {
  return clinic.database.db
    .selectFrom('appointment_slots')
    .selectAll()
    .where('therapist_id', '=', therapistId)
    .where('starts_at', '>=', zonedInstant(from, '00:00', 'Asia/Kolkata'))
    .where('starts_at', '<', zonedInstant(addDays(to, 1), '00:00', 'Asia/Kolkata'))
    .orderBy('starts_at')
    .execute();
}

/** Books a patient into the therapist's slot that starts at `time` (clinic time) on `date`. */
export async function bookAt(clinic: CalendarClinic, therapistId: number, date: string, time: string, patientIndex = 0) {
  const slot = await clinic.database.db
    .selectFrom('appointment_slots')
    .select('id')
    .where('therapist_id', '=', therapistId)
    .where('starts_at', '=', zonedInstant(date, time, 'Asia/Kolkata'))
    .executeTakeFirstOrThrow();
  const code = therapistId === clinic.priya ? 'speech-therapy' : 'occupational-therapy';
  return bookAppointment(clinic.ctx, { patientId: clinic.patients[patientIndex]!, slotId: slot.id, serviceId: await clinic.serviceId(code) });
}

/** The audit log's actions, oldest first (optionally only those starting with `prefix`). */
export async function auditActions(clinic: CalendarClinic, prefix = '') {
  const rows = await clinic.database.db
    .selectFrom('audit_log')
    .select(['action', 'entity', 'entity_id', 'before', 'after', 'meta', 'actor_kind'])
    .where('action', 'like', `${prefix}%`)
    .orderBy('id')
    .execute();
  return rows;
}

/** Everything the calendar commands may change, to prove a refused command changed nothing. */
export async function calendarState(clinic: CalendarClinic) {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT (SELECT json_agg(s ORDER BY s.id) FROM (SELECT id, therapist_id, starts_at, ends_at, status, blocked_reason, max_bookings FROM appointment_slots) s) AS slots,
           (SELECT json_agg(a ORDER BY a.id) FROM (SELECT id, status, slot_id, starts_at FROM appointments) a) AS appointments,
           (SELECT json_agg(l ORDER BY l.id) FROM therapist_leave l) AS leave,
           (SELECT json_agg(h ORDER BY h.holiday_on) FROM clinic_holidays h) AS holidays,
           (SELECT json_agg(w ORDER BY w.id) FROM working_hours w) AS hours,
           (SELECT count(*) FROM audit_log WHERE outcome = 'ok')::int AS audit`.execute(clinic.database.db);
  return rows[0]!;
}
