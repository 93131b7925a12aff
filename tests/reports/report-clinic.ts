import { addPackagePlan, sellPackage } from '../../src/domain/billing/packages.js';
import { recordManualPayment } from '../../src/domain/billing/record-manual-payment.js';
import { refundPayment } from '../../src/domain/billing/refund-payment.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { completeAppointment, markNoShow } from '../../src/domain/scheduling/attendance.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addHoliday } from '../../src/domain/scheduling/holidays.js';
import { addLeave } from '../../src/domain/scheduling/leave.js';
import { zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

const TZ = 'Asia/Kolkata';

/**
 * September 2026 at a small clinic, every figure known (Asia/Kolkata; both therapists work every day
 * 09:00–13:00, i.e. 240 minutes a day; speech ₹1,000, physio ₹800; 45-minute sessions):
 *
 * - Holiday on 15 Sep; Meera (physio) on leave 21–22 Sep.
 * - Patient 001 was first seen on 25 Aug (paid ₹1,000 cash then: outside the month), and again on 2 Sep (UPI ₹1,000).
 * - Patient 002: 3 Sep completed (UPI ₹1,000, ₹200 of it refunded on 12 Sep); 10 Sep no-show.
 * - Patient 003: 4 Sep physio completed (cash ₹800); 11 Sep 10:00 physio cancelled at 23:30 the night before (late).
 * - Patient 004: 7 Sep physio cancelled on 4 Sep (in good time); buys "10 speech sessions" for ₹9,000 by UPI on
 *   7 Sep; 14 Sep speech completed, drawn from the package.
 * - Patient 005: registered 20 Sep; 29 Sep speech still scheduled, ₹500 paid in cash on 8 Sep.
 *
 * Staff: anita (admin), desk (receptionist), priya (therapist).
 */
export async function openReportClinic() {
  const database = await createTestDatabase();
  const clock = fixedClock('2026-08-20T00:00:00Z');
  const ctx = systemContext(database.db, clock);
  const clinic = await seedClinic(ctx, { patients: 5, days: 45 });
  for (const [username, role] of [
    ['anita', 'admin'],
    ['desk', 'receptionist'],
    ['priya', 'therapist'],
  ] as const) {
    const user = await addStaffUser(ctx, { username, fullName: `Staff ${username}`, role });
    if (username === 'priya') await database.db.updateTable('therapists').set({ staff_user_id: user.id }).where('id', '=', clinic.speech.id).execute();
  }
  await addHoliday(ctx, { date: '2026-09-15', name: 'Clinic day off' });
  await addLeave(ctx, { therapistId: clinic.physio.id, from: '2026-09-21', to: '2026-09-22', reason: 'Conference' });

  const [p1, p2, p3, p4, p5] = clinic.patients.map((p) => p.id) as [number, number, number, number, number];
  const slotAt = async (therapistId: number, date: string, time: string) => {
    const slot = (await slotsOn(ctx, therapistId, date)).find((s) => s.starts_at.getTime() === zonedInstant(date, time, TZ).getTime());
    if (!slot) throw new Error(`no slot ${date} ${time}`);
    return slot.id;
  };
  const speech = async (patientId: number, date: string, time = '09:00') =>
    (await bookAppointment(ctx, { patientId, serviceId: clinic.speechService.id, slotId: await slotAt(clinic.speech.id, date, time) })).id;
  const physio = async (patientId: number, date: string, time = '09:00') =>
    (await bookAppointment(ctx, { patientId, serviceId: clinic.physioService.id, slotId: await slotAt(clinic.physio.id, date, time) })).id;

  const a = {
    p1Aug: await speech(p1, '2026-08-25'),
    p1: await speech(p1, '2026-09-02'),
    p2: await speech(p2, '2026-09-03'),
    p2NoShow: await speech(p2, '2026-09-10'),
    p3: await physio(p3, '2026-09-04'),
    p3Late: await physio(p3, '2026-09-11', '10:00'),
    p4Cancelled: await physio(p4, '2026-09-07'),
    p4Package: await speech(p4, '2026-09-14'),
    p5: await speech(p5, '2026-09-29'),
  };
  const at = (date: string, time = '10:00') => clock.set(zonedInstant(date, time, TZ));
  const pay = (appointmentId: number, amountPaise: number, method: 'cash' | 'upi', utr?: string) =>
    recordManualPayment(ctx, { appointmentId, amountPaise, method, ...(utr ? { utr } : {}) });

  at('2026-08-25');
  await completeAppointment(ctx, { appointmentId: a.p1Aug });
  await pay(a.p1Aug, 100000, 'cash');
  at('2026-09-02');
  await pay(a.p1, 100000, 'upi', '400000000001');
  await completeAppointment(ctx, { appointmentId: a.p1 });
  at('2026-09-03');
  const refundable = await pay(a.p2, 100000, 'upi', '400000000002');
  await completeAppointment(ctx, { appointmentId: a.p2 });
  at('2026-09-04');
  await pay(a.p3, 80000, 'cash');
  await completeAppointment(ctx, { appointmentId: a.p3 });
  at('2026-09-04', '11:00');
  await cancelAppointment(ctx, { appointmentId: a.p4Cancelled, reason: 'Family travelling' });
  at('2026-09-07');
  await addPackagePlan(ctx, { code: 'speech-10', name: '10 speech sessions', serviceId: clinic.speechService.id, sessions: 10, pricePaise: 900000 });
  await sellPackage(ctx, { patientId: p4, planCode: 'speech-10', method: 'upi', utr: '400000000003' });
  at('2026-09-08');
  await pay(a.p5, 50000, 'cash');
  at('2026-09-10');
  await markNoShow(ctx, { appointmentId: a.p2NoShow });
  at('2026-09-10', '23:30');
  await cancelAppointment(ctx, { appointmentId: a.p3Late, reason: 'Fever' });
  at('2026-09-12');
  await refundPayment(ctx, { paymentReference: refundable.reference, amountPaise: 20000, reason: 'Session cut short' });
  at('2026-09-14');
  await completeAppointment(ctx, { appointmentId: a.p4Package });

  await database.db
    .updateTable('patients')
    .set({ created_at: new Date('2026-08-20T00:00:00Z') })
    .where('id', '<>', p5)
    .execute();
  await database.db
    .updateTable('patients')
    .set({ created_at: zonedInstant('2026-09-20', '12:00', TZ) })
    .where('id', '=', p5)
    .execute();

  const staff = staffEnvironments(database.db, { DATABASE_URL: database.url });
  const roshni = async (argv: string[], as = 'anita') => runCli(argv, await staff(as));
  return { database, clinic, roshni, close: () => database.close() };
}
