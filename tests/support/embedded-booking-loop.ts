// Another Roshni process writing to the embedded database while a test backs it up: it takes a booking
// of the demo clinic (its latest one to come) and cancels and books it again (appointments, outbox and
// audit rows each time) until it is killed, printing a line after each write.
import { fixedClock } from '../../src/infra/clock.js';
import { openEmbedded } from '../../src/infra/db/database.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';

const [home, now] = process.argv.slice(2);
if (!home || !now) throw new Error('usage: embedded-booking-loop.ts <home> <ISO instant>');
const clock = fixedClock(new Date(now));
const database = await openEmbedded(home, { role: SERVICE_ROLE });
const ctx = { db: database.db, clock, timezone: 'Asia/Kolkata', actor: { kind: 'system' as const } };
const booking = await database.db
  .selectFrom('appointments')
  .select(['id', 'patient_id', 'slot_id', 'service_id'])
  .where('status', '=', 'scheduled')
  .where('slot_id', 'is not', null)
  .where('starts_at', '>', clock.now())
  .orderBy('starts_at', 'desc')
  .executeTakeFirstOrThrow();
let appointmentId = booking.id;
for (let writes = 0; ;) {
  await cancelAppointment(ctx, { appointmentId, reason: 'rebooked by the test', clinicInitiated: true });
  console.log(`write ${++writes}`);
  const booked = await bookAppointment(ctx, { patientId: booking.patient_id, slotId: booking.slot_id!, serviceId: booking.service_id });
  appointmentId = booked.id;
  console.log(`write ${++writes}`);
}
