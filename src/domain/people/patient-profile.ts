import { appointmentBalance } from '../billing/payment-status.js';
import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { authorize } from '../policy.js';
import { LIVE_STATUSES } from '../scheduling/appointment-lifecycle.js';
import { listAppointments } from '../scheduling/appointment-queries.js';
import { clinicDate } from '../time.js';
import { guardiansOfPatients } from './guardians.js';

export interface PatientDues {
  /** Appointments that are charged: every one not cancelled or waived. */
  appointments: number;
  chargedPaise: number;
  /** Paid less refunded. */
  paidPaise: number;
  duePaise: number;
  appointmentsWithDues: number;
}

/** What the patient owes: over appointments not cancelled or waived, the price less what was paid net of refunds. */
export async function patientDues(ctx: DomainContext, patientId: number): Promise<PatientDues> {
  const charged = await ctx.db
    .selectFrom('appointments')
    .select('id')
    .where('patient_id', '=', patientId)
    .where('status', '<>', 'cancelled')
    .where('payment_status', '<>', 'waived')
    .orderBy('id')
    .execute();
  const dues: PatientDues = { appointments: charged.length, chargedPaise: 0, paidPaise: 0, duePaise: 0, appointmentsWithDues: 0 };
  for (const { id } of charged) {
    const balance = await appointmentBalance(ctx, id);
    dues.chargedPaise += balance.pricePaise;
    dues.paidPaise += balance.paidPaise - balance.refundedPaise;
    dues.duePaise += balance.duePaise;
    if (balance.duePaise > 0) dues.appointmentsWithDues++;
  }
  return dues;
}

/** One patient as the desk sees them: details, guardians, what is coming up and what is owed. */
export async function patientProfile(ctx: DomainContext, patientId: number) {
  authorize(ctx.actor, 'patient.read');
  const patient = await ctx.db
    .selectFrom('patients')
    .selectAll()
    .where('id', '=', patientId)
    .where('erased_at', 'is', null)
    .executeTakeFirst();
  if (!patient) throw new NotFoundError(`No patient with id ${patientId}.`);
  const now = ctx.clock.now();
  const [guardians, fromToday, dues] = await Promise.all([
    guardiansOfPatients(ctx, [patient.id]),
    listAppointments(ctx, { patientId: patient.id, from: clinicDate(now, ctx.timezone) }),
    patientDues(ctx, patient.id),
  ]);
  const upcoming = fromToday.filter((a) => LIVE_STATUSES.includes(a.status) && a.ends_at > now);
  return { patient, guardians, upcoming, dues };
}
