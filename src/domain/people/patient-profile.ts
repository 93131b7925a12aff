import { sql } from 'kysely';
import { appointmentDue, appointmentMoney } from '../billing/payment-status.js';
import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { authorize, isAllowed } from '../policy.js';
import { LIVE_STATUSES } from '../scheduling/appointment-lifecycle.js';
import { listAppointments } from '../scheduling/appointment-queries.js';
import { clinicDate } from '../time.js';
import { guardiansOfPatients } from './guardians.js';

export interface PatientDues {
  /** Appointments that are charged: every one not cancelled, missed or waived. */
  appointments: number;
  chargedPaise: number;
  /** Paid less refunded. */
  paidPaise: number;
  /** Still owed for sessions attended (or under way), as `roshni dues` counts it. */
  duePaise: number;
  sessionsDue: number;
  /** Still to pay for sessions booked ahead. */
  upcomingPaise: number;
  /** Everything still owed: attended and booked. */
  totalDuePaise: number;
}

/** What a patient owes, by the billing's own definition of an appointment's price, payments and refunds. */
export async function patientDues(ctx: DomainContext, patientId: number): Promise<PatientDues> {
  const attended = sql`a.status IN ('completed', 'in_progress')`;
  const { rows } = await sql<Omit<PatientDues, 'totalDuePaise'>>`
    SELECT count(*)::integer AS "appointments",
           coalesce(sum(${appointmentMoney.price}), 0)::integer AS "chargedPaise",
           coalesce(sum(${appointmentMoney.paid} - ${appointmentMoney.refunded}), 0)::integer AS "paidPaise",
           coalesce(sum(${appointmentDue}) FILTER (WHERE ${attended}), 0)::integer AS "duePaise",
           count(*) FILTER (WHERE ${attended} AND ${appointmentDue} > 0)::integer AS "sessionsDue",
           coalesce(sum(${appointmentDue}) FILTER (WHERE NOT ${attended}), 0)::integer AS "upcomingPaise"
    FROM appointments a
    WHERE a.patient_id = ${patientId} AND a.status NOT IN ('cancelled', 'no_show') AND a.payment_status <> 'waived'`.execute(ctx.db);
  const dues = rows[0]!;
  return { ...dues, totalDuePaise: dues.duePaise + dues.upcomingPaise };
}

/** One patient as the desk sees them: details, guardians, what is coming up and (for those who see billing) what is owed. */
export async function patientProfile(ctx: DomainContext, patientId: number) {
  authorize(ctx.actor, 'patient.read');
  const patient = await ctx.db.selectFrom('patients').selectAll().where('id', '=', patientId).where('erased_at', 'is', null).executeTakeFirst();
  if (!patient) throw new NotFoundError(`No patient with id ${patientId}.`);
  const now = ctx.clock.now();
  const [guardians, fromToday, dues] = await Promise.all([
    guardiansOfPatients(ctx, [patient.id]),
    listAppointments(ctx, { patientId: patient.id, from: clinicDate(now, ctx.timezone) }),
    isAllowed(ctx.actor, 'billing.read') ? patientDues(ctx, patient.id) : null,
  ]);
  const upcoming = fromToday.filter((a) => LIVE_STATUSES.includes(a.status) && a.ends_at > now);
  return { patient, guardians, upcoming, dues };
}
