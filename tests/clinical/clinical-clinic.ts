import { addStaffUser } from '../../src/domain/people/staff.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { completeAppointment } from '../../src/domain/scheduling/attendance.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

/**
 * A clinic three weeks ago, whose sessions have taken place: Priya (speech) saw Patient 001 twice,
 * Meera (physio) saw Patient 002 once. A third session of Priya's has taken place but is not marked completed. Staff: anita (admin), desk (receptionist), priya and meera
 * (therapists, linked to their therapist records). `roshni(argv, as)` runs the CLI signed in as `as` (default anita).
 */
export async function openClinicalClinic(given?: TestDatabase) {
  const database = given ?? (await createTestDatabase());
  const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
  const clock = fixedClock(`${start}T00:00:00Z`);
  const ctx = systemContext(database.db, clock);
  const clinic = await seedClinic(ctx, { patients: 3, days: 3 });
  for (const [username, role] of [
    ['anita', 'admin'],
    ['desk', 'receptionist'],
    ['priya', 'therapist'],
    ['meera', 'therapist'],
  ] as const) {
    const user = await addStaffUser(ctx, { username, fullName: `Staff ${username}`, role });
    if (role === 'therapist') {
      const therapistId = username === 'priya' ? clinic.speech.id : clinic.physio.id;
      await database.db.updateTable('therapists').set({ staff_user_id: user.id }).where('id', '=', therapistId).execute();
    }
  }
  const day = addDays(start, 1);
  const [speech9, speech10, speech11] = await slotsOn(ctx, clinic.speech.id, day);
  const [physio9] = await slotsOn(ctx, clinic.physio.id, day);
  const [p1, p2] = clinic.patients;
  const book = (patientId: number, serviceId: number, slotId: number) => bookAppointment(ctx, { patientId, serviceId, slotId });
  const first = await book(p1!.id, clinic.speechService.id, speech9!.id);
  const second = await book(p1!.id, clinic.speechService.id, speech10!.id);
  const physio = await book(p2!.id, clinic.physioService.id, physio9!.id);
  // Took place too, but nobody has marked it completed yet.
  const unmarked = await book(p1!.id, clinic.speechService.id, speech11!.id);
  clock.set(`${day}T12:00:00Z`);
  for (const a of [first, second, physio]) await completeAppointment(ctx, { appointmentId: a.id });
  const number = async (id: number) =>
    (await database.db.selectFrom('appointments').select('appointment_number').where('id', '=', id).executeTakeFirstOrThrow()).appointment_number;
  // Each member of staff is signed in once (a session made by the database's owner); no one is 'anita', the admin.
  const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
  const roshni = async (argv: string[], as = 'anita') => runCli(argv, await signedIn(as));
  const audit = (action: string) => database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
  return {
    database,
    clinic,
    roshni,
    /** The CLI environment of `as`, signed in (for tests that call main() themselves). */
    envOf: (as: string) => signedIn(as),
    audit,
    appointments: { first: await number(first.id), second: await number(second.id), physio: await number(physio.id), unmarked: await number(unmarked.id) },
    close: () => database.close(),
  };
}
