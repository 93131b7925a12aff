import { fixedClock } from '../../infra/clock.js';
import { addPackagePlan } from '../billing/packages.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { updateClinicPolicies } from '../clinic/policies.js';
import type { DomainContext } from '../context.js';
import { generateSlots } from '../scheduling/slots.js';
import { addDays } from '../time.js';
import { DEMO_PACKAGE_PLANS, DEMO_POLICY_FEES } from './demo-clinic.js';
import { generator } from './demo-random.js';
import { writeAudit } from './history-audit.js';
import { planBilling } from './history-billing-plan.js';
import { writeBilling } from './history-billing-writes.js';
import { writeClinicalRecords } from './history-clinical.js';
import type { HistoryScene, PlanFacts, Staff } from './history-model.js';
import { addPastPatients } from './history-people.js';
import { planAppointments } from './history-timetable.js';

// The demo's past: thirteen weeks of sessions before the day `roshni demo` runs (attended, missed,
// cancelled), their payments and receipts, package sales and draws, one refund with its credit note,
// session notes, goals measured over the weeks, and the audit entries the domain writes for each.
//
// Made in bulk, in the demo's transaction: the rows are worked out here (a seeded generator, so the same
// day gives the same past) and written a table at a time, each in one statement, as the domain functions
// would have written them one by one (bookAppointment, completeAppointment, markNoShow, cancelAppointment
// with its policy charge, recordManualPayment and completePayment, sellPackage and drawFromPackage,
// refundPayment, addSessionNotes, addGoal and measureGoal). Left out: the messages those would have queued
// (the outbox of a past that was sent long ago), Razorpay's webhook events, and assessment forms.
// The generator is drawn from in one fixed order (patients, timetable, outcomes, billing, notes, goals):
// reordering those steps changes the past.

export const HISTORY_WEEKS = 13;
export const HISTORY_DAYS = HISTORY_WEEKS * 7;

export interface DemoHistory {
  from: string;
  to: string;
  patients: number;
  appointments: number;
  attended: number;
  noShows: number;
  lateCancellations: number;
  payments: number;
  refunds: number;
  sessionNotes: number;
  goalMeasurements: number;
}

/** The clinic's set-up, as the domain does it: its policy fees, its package plans, the past's slots. */
async function setUpClinic(ctx: DomainContext, opening: Date, from: string, to: string) {
  const at = { ...ctx, clock: fixedClock(opening) };
  await updateClinicPolicies(at, DEMO_POLICY_FEES);
  const services = new Map(
    (await ctx.db.selectFrom('services').select(['id', 'code', 'name', 'price_paise', 'duration_minutes']).execute()).map((s) => [s.code, s]),
  );
  const plans = new Map<string, PlanFacts>();
  for (const p of DEMO_PACKAGE_PLANS) {
    const plan = await addPackagePlan(at, {
      code: p.code,
      name: p.name,
      serviceId: services.get(p.service)!.id,
      sessions: p.sessions,
      pricePaise: p.rupees * 100,
    });
    plans.set(p.code, {
      id: plan.id,
      name: plan.name,
      serviceId: plan.service_id,
      sessions: plan.sessions,
      pricePaise: plan.price_paise,
      validDays: plan.valid_days,
    });
  }
  await generateSlots(at, { from, to });
  const staffRows = await ctx.db
    .selectFrom('staff_users as u')
    .leftJoin('therapists as t', 't.staff_user_id', 'u.id')
    .select(['u.id', 'u.username', 'u.role', 't.id as therapist_id'])
    .execute();
  const staffNamed = (username: string): Staff => {
    const u = staffRows.find((r) => r.username === username)!;
    return { id: u.id, role: u.role };
  };
  const therapistAccounts = new Map(staffRows.filter((r) => r.therapist_id !== null).map((r) => [r.therapist_id!, r.id]));
  return { services, plans, desk: staffNamed('demo.desk'), admin: staffNamed('demo.admin'), therapistAccounts };
}

/**
 * Writes the demo's past into the demo's transaction. `opening` is when the clinic was set up (the demo's
 * people were added then); `today` the clinic's date the demo runs on.
 */
export async function addDemoHistory(
  ctx: DomainContext,
  people: { therapistIds: Map<string, number>; patientIds: Map<string, number> },
  today: string,
  opening: Date,
): Promise<DemoHistory> {
  const from = addDays(today, -HISTORY_DAYS);
  const to = addDays(today, -1);
  const clinic = await setUpClinic(ctx, opening, from, to);
  const settings = await requireClinicSettings(ctx);
  const scene: HistoryScene = {
    ctx,
    tz: ctx.timezone,
    rng: generator(20_26_09),
    today,
    from,
    to,
    desk: clinic.desk,
    admin: clinic.admin,
    service: (code) => clinic.services.get(code)!,
    audit: [],
  };
  const past = await addPastPatients(scene, people.patientIds);
  const appointments = await planAppointments(scene, people.therapistIds, clinic.therapistAccounts, past);
  const billing = planBilling(scene, appointments, clinic.plans);
  const { packageByKey, refunds } = await writeBilling(scene, appointments, billing, settings);
  const clinical = await writeClinicalRecords(scene, appointments, past.patientIds, people.therapistIds, opening);
  await writeAudit(scene, appointments, billing.payments, packageByKey, clinical, past.patientIds);

  return {
    from,
    to,
    patients: new Set(appointments.map((a) => a.patientId)).size,
    appointments: appointments.length,
    attended: appointments.filter((a) => a.outcome === 'completed').length,
    noShows: appointments.filter((a) => a.outcome === 'no_show').length,
    lateCancellations: appointments.filter((a) => a.outcome === 'late_cancel').length,
    payments: billing.payments.length,
    refunds,
    sessionNotes: clinical.notes.length,
    goalMeasurements: clinical.measurements.length,
  };
}
