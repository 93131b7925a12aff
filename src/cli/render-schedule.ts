import type { AppointmentRow } from '../domain/scheduling/appointment-queries.js';
import { formatRupees } from '../domain/money.js';
import { RESCHEDULE_NOTES } from '../domain/scheduling/needs-reschedule.js';
import { clinicTime } from '../domain/time.js';
import { table } from './output.js';

type ScheduleRows = AppointmentRow[];

const PAID_MARK: Record<string, string> = {
  paid: 'paid',
  partially_paid: 'part-paid',
  pending: 'unpaid',
  refunded: 'refunded',
  waived: 'waived',
};

const CONFIRMED_VIA: Record<string, string> = { cli: 'at the desk', telegram: 'on Telegram', whatsapp: 'on WhatsApp', terminal_chat: 'by chat' };

/** The payment column, in the desk's words: "part-paid, ₹200.00 due", "unpaid ₹1,000.00", "paid ₹1,000.00". */
export function paymentText(a: Pick<AppointmentRow, 'payment_status' | 'price_paise' | 'due_paise'>): string {
  const mark = PAID_MARK[a.payment_status] ?? a.payment_status;
  if (a.payment_status === 'partially_paid') return `${mark}, ${formatRupees(a.due_paise)} due`;
  if (a.payment_status === 'pending') return `${mark} ${formatRupees(a.due_paise)}`;
  return `${mark} ${formatRupees(a.price_paise)}`;
}

/**
 * "confirmed on WhatsApp 18:05": who confirmed (the patient's own reply, or the desk) and when; and
 * for an appointment a day off left behind, "scheduled — therapist on leave: to reschedule".
 */
export function statusText(a: AppointmentRow, timezone: string): string {
  const flag = a.needs_reschedule ? ` — ${RESCHEDULE_NOTES[a.needs_reschedule.reason]}` : '';
  if (a.status !== 'confirmed') return `${a.status.replace('_', ' ')}${flag}`;
  const via = a.confirmed_via ? ` ${CONFIRMED_VIA[a.confirmed_via] ?? a.confirmed_via}` : '';
  return `confirmed${via}${a.confirmed_at ? ` ${clinicTime(a.confirmed_at, timezone)}` : ''}${flag}`;
}

/** A day's appointments as one table per therapist. */
export function renderSchedule(rows: ScheduleRows, timezone: string): string[] {
  if (!rows.length) return ['No appointments.'];
  const byTherapist = new Map<string, ScheduleRows>();
  for (const row of rows) byTherapist.set(row.therapist_name, [...(byTherapist.get(row.therapist_name) ?? []), row]);
  const out: string[] = [];
  for (const [therapist, appointments] of byTherapist) {
    out.push(`${therapist}`);
    out.push(
      table(
        ['Time', 'Appointment', 'Patient', 'Service', 'Status', 'Payment'],
        appointments.map((a) => [
          `${clinicTime(a.starts_at, timezone)}–${clinicTime(a.ends_at, timezone)}`,
          a.appointment_number,
          a.patient_name,
          a.service_name,
          statusText(a, timezone),
          paymentText(a),
        ]),
      ),
    );
    out.push('');
  }
  return out;
}

/** The JSON shape of a schedule: instants as ISO strings plus the clinic's local times. */
export function scheduleJson(rows: ScheduleRows, timezone: string) {
  return rows.map((a) => ({
    id: a.id,
    appointmentNumber: a.appointment_number,
    startsAt: a.starts_at.toISOString(),
    endsAt: a.ends_at.toISOString(),
    localStart: clinicTime(a.starts_at, timezone),
    therapist: { id: a.therapist_id, name: a.therapist_name },
    patient: { id: a.patient_id, name: a.patient_name },
    service: a.service_name,
    status: a.status,
    confirmedAt: a.confirmed_at ? a.confirmed_at.toISOString() : null,
    confirmedVia: a.confirmed_via,
    paymentStatus: a.payment_status,
    pricePaise: a.price_paise,
    duePaise: a.due_paise,
    /** `{ reason: 'therapist_leave' | 'clinic_holiday' }` when a day off fell on it after it was booked. */
    needsReschedule: a.needs_reschedule,
  }));
}
