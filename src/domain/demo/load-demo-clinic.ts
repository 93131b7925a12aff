import { sql } from 'kysely';
import { fixedClock } from '../../infra/clock.js';
import { newPasswordRecord, type PasswordRecord } from '../access/passwords.js';
import { recordManualPayment } from '../billing/record-manual-payment.js';
import { getClinicSettings, saveClinicSettings } from '../clinic/settings.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { addGuardian, linkGuardian } from '../people/guardians.js';
import { addPatient } from '../people/patients.js';
import { addStaffUser, findStaffUserByUsername } from '../people/staff.js';
import { addTherapist } from '../people/therapists.js';
import { authorize } from '../policy.js';
import { bookAppointment } from '../scheduling/book-appointment.js';
import { requireServiceByCode } from '../scheduling/services.js';
import { generateSlots } from '../scheduling/slots.js';
import { parseWeeklyHours, setWorkingHours } from '../scheduling/working-hours.js';
import { addDays, clinicDate, zonedInstant } from '../time.js';
import { addDemoHistory, HISTORY_DAYS, type DemoHistory } from './demo-history.js';
import { DEMO_ADMIN, DEMO_BOOKINGS, DEMO_CLINIC, DEMO_GUARDIANS, DEMO_PASSWORD, DEMO_PATIENTS, DEMO_STAFF, DEMO_THERAPISTS } from './demo-clinic.js';

export const DEMO_DAYS = 14;

export interface DemoLoadResult {
  /** False when the demo people were already there (a second run adds only missing slots). */
  peopleCreated: boolean;
  slotsCreated: number;
  bookingsCreated: number;
  /** The clinic's past, made with its people: null when the demo was already loaded. */
  history: DemoHistory | null;
  /** The first day from today with demo bookings: the schedule worth showing. */
  firstClinicDay: string;
}

/** The people of the demo are added as when the clinic was set up, before the past begins. */
async function addPeople(ctx: DomainContext) {
  for (const staff of DEMO_STAFF) await addStaffUser(ctx, staff);
  const therapistIds = new Map<string, number>();
  for (const t of DEMO_THERAPISTS) {
    const user = await addStaffUser(ctx, { username: t.username, fullName: t.fullName, role: 'therapist' });
    const therapist = await addTherapist(ctx, { fullName: t.fullName, specializations: [...t.specializations], staffUserId: user.id });
    await setWorkingHours(ctx, { therapistId: therapist.id, blocks: t.hours.flatMap(parseWeeklyHours) });
    therapistIds.set(t.username, therapist.id);
  }
  const guardianIds = new Map<string, number>();
  for (const g of DEMO_GUARDIANS) {
    guardianIds.set(g.key, (await addGuardian(ctx, g)).id);
  }
  const patientIds = new Map<string, number>();
  for (const p of DEMO_PATIENTS) {
    const patient = await addPatient(ctx, p);
    patientIds.set(p.key, patient.id);
    if ('guardian' in p) {
      await linkGuardian(ctx, { guardianId: guardianIds.get(p.guardian)!, patientId: patient.id, relationship: p.relationship, isPrimary: true });
    }
  }
  // Made-up people: the dispatcher sends them nothing but to a chat someone linked (migration 0016).
  await ctx.db
    .updateTable('guardians')
    .set({ sample: true })
    .where('id', 'in', [...guardianIds.values()])
    .execute();
  await ctx.db
    .updateTable('patients')
    .set({ sample: true })
    .where('id', 'in', [...patientIds.values()])
    .execute();
  return { therapistIds, patientIds };
}

/** Days from `today` on which the demo therapists have open slots; bookings go on the first two. */
async function clinicDays(ctx: DomainContext, today: string): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('appointment_slots')
    .select('starts_at')
    .where('starts_at', '>=', zonedInstant(today, '00:00', ctx.timezone))
    .orderBy('starts_at')
    .execute();
  return [...new Set(rows.map((r) => clinicDate(r.starts_at, ctx.timezone)))];
}

async function addBookings(ctx: DomainContext, ids: Awaited<ReturnType<typeof addPeople>>, days: string[]) {
  // The demo's bookings were "made yesterday evening", so that today's early sessions can be on the list.
  const bookedYesterday = { ...ctx, clock: fixedClock(zonedInstant(addDays(days[0]!, -1), '18:00', ctx.timezone)) };
  let created = 0;
  for (const booking of DEMO_BOOKINGS) {
    const day = days[booking.day];
    if (!day) continue;
    const therapistId = ids.therapistIds.get(booking.therapist)!;
    const slots = await ctx.db
      .selectFrom('appointment_slots')
      .select('id')
      .where('therapist_id', '=', therapistId)
      .where('starts_at', '>=', zonedInstant(day, '00:00', ctx.timezone))
      .where('starts_at', '<', zonedInstant(addDays(day, 1), '00:00', ctx.timezone))
      .orderBy('starts_at')
      .execute();
    const slot = slots[Math.min(booking.slot, slots.length - 1)];
    if (!slot) continue;
    const service = await requireServiceByCode(ctx, booking.service);
    const appointment = await bookAppointment(bookedYesterday, {
      patientId: ids.patientIds.get(booking.patient)!,
      serviceId: service.id,
      slotId: slot.id,
    });
    created++;
    if (booking.pay) {
      await recordManualPayment(ctx, {
        appointmentId: appointment.id,
        amountPaise: booking.pay.rupees * 100,
        method: booking.pay.method,
        ...('utr' in booking.pay ? { utr: booking.pay.utr } : {}),
      });
    }
  }
  return created;
}

/** Every account the demo makes: its staff and its therapists' logins. */
const DEMO_ACCOUNTS = [...DEMO_STAFF, ...DEMO_THERAPISTS].map((account) => account.username);

/**
 * Loads the demo clinic into an empty database, or tops up the demo clinic's slots. A database holding
 * another clinic is refused whatever is asked: the demo's accounts have a published password.
 */
export async function loadDemoClinic(ctx: DomainContext): Promise<DemoLoadResult> {
  authorize(ctx.actor, 'demo.load');
  // Stretching the published password (scrypt: about 150 ms, off the main thread) overlaps the writes.
  // Handled here as well, so that a load failing before it is awaited leaves no unhandled rejection.
  const passwordRecord = newPasswordRecord(DEMO_PASSWORD);
  passwordRecord.catch(() => undefined);
  return inTransaction(ctx, async (tx) => {
    const settings = await getClinicSettings(tx);
    const strangers = await tx.db.selectFrom('staff_users').select('username').where('username', 'not in', DEMO_ACCOUNTS).limit(1).execute();
    if ((settings && settings.name !== DEMO_CLINIC.name) || strangers.length) {
      throw new ConflictError(
        `This database holds ${settings ? `the clinic "${settings.name}"` : 'staff accounts of a clinic'}: the demo, whose accounts have a ` +
          'published password, is loaded only into an empty database. Use an empty ROSHNI_HOME or another DATABASE_URL.',
      );
    }
    if (!settings) await saveClinicSettings(tx, DEMO_CLINIC);
    const today = clinicDate(tx.clock.now(), tx.timezone);
    const alreadyLoaded = Boolean(await findStaffUserByUsername(tx, DEMO_ADMIN));
    // The clinic opened a while before its past begins: its people are added then.
    const opening = zonedInstant(addDays(today, -HISTORY_DAYS - 100), '10:00', tx.timezone);
    const ids = alreadyLoaded ? undefined : await addPeople({ ...tx, clock: fixedClock(opening) });
    if (ids) await giveDemoPasswords(tx, await passwordRecord);
    const history = ids ? await addDemoHistory(tx, ids, today, opening) : null;
    const { created: slotsCreated } = await generateSlots(tx, { from: today, to: addDays(today, DEMO_DAYS - 1) });
    const days = await clinicDays(tx, today);
    const bookingsCreated = ids ? await addBookings(tx, ids, days) : 0;
    return { peopleCreated: !alreadyLoaded, slotsCreated, bookingsCreated, history, firstClinicDay: days[0] ?? today };
  });
}

/** The demo accounts' one published password (DEMO_PASSWORD), written as the database's owner. */
async function giveDemoPasswords(ctx: DomainContext, record: PasswordRecord): Promise<void> {
  await sql`INSERT INTO roshni_auth.passwords (staff_user_id, scheme, salt, verifier)
            SELECT id, ${record.scheme}, ${record.salt}, ${record.verifier} FROM staff_users
            WHERE username IN (${sql.join(DEMO_ACCOUNTS)})`.execute(ctx.db);
}
