import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

/** Tuesday 4 March 2031, 09:30 at the clinic (Asia/Kolkata): the desk's "now" in these scenarios. */
export const DESK_NOW = '2031-03-04T04:00:00.000Z';

/**
 * The front desk's morning: the small clinic of tests/support/clinic.ts, two patients named Gupta
 * (Aarav, 11, whose mother is Sunita; Diya, 9, whose father is Rahul), Patient 001's speech session
 * at noon today, and a receptionist signed in (`env` is her CLI environment).
 */
export async function openDeskClinic() {
  const database = await createTestDatabase();
  const ctx = systemContext(database.db, fixedClock(DESK_NOW));
  const clinic = await seedClinic(ctx, { patients: 2, days: 7 });
  const sunita = await addGuardian(ctx, { fullName: 'Sunita Gupta', phone: '+919820000001' });
  const rahul = await addGuardian(ctx, { fullName: 'Rahul Gupta', phone: '+919820000002' });
  const aarav = await addPatient(ctx, { fullName: 'Aarav Gupta', dateOfBirth: '2019-06-10', withGuardian: { guardianId: sunita.id, relationship: 'mother' } });
  const diya = await addPatient(ctx, { fullName: 'Diya Gupta', dateOfBirth: '2022-01-20', withGuardian: { guardianId: rahul.id, relationship: 'father' } });
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const noon = (await slotsOn(ctx, clinic.speech.id, today)).find((s) => s.starts_at.toISOString() === `${today}T06:30:00.000Z`)!;
  const todays = await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: noon.id });
  await addStaffUser(ctx, { username: 'desk', fullName: 'Staff desk', role: 'receptionist' });
  const env = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'desk') };
  return { database, clinic, aarav, diya, todays, env, close: () => database.close() };
}
