import { missedSessionTerms, type MissedSessionTerms } from '../billing/missed-session-policy.js';
import { requireClinicSettings } from '../clinic/settings.js';
import type { DomainContext } from '../context.js';

// The late-cancellation rule, written once: cancelAppointment() applies it, and the bot asks it
// before a family cancels, so what they are told is what they are charged.

export interface CancellationTerms extends MissedSessionTerms {
  /** Cancelling now is late: within lateCancelHours of the start. */
  late: boolean;
  lateCancelHours: number;
}

/**
 * Whether cancelling at `now` is late, and what the policy charges when it is. An appointment a day
 * off fell on (leave or a holiday forced over it) is never late: cancelling it is the clinic's doing.
 */
export function cancellationTerms(
  settings: Parameters<typeof missedSessionTerms>[0] & { late_cancel_hours: number },
  appointment: { startsAt: Date; dayOff: boolean },
  now: Date,
): CancellationTerms {
  const late = !appointment.dayOff && appointment.startsAt.getTime() - now.getTime() < settings.late_cancel_hours * 3_600_000;
  return { late, lateCancelHours: settings.late_cancel_hours, ...missedSessionTerms(settings, 'late_cancellation') };
}

/** The terms of cancelling this appointment now, as the clinic's settings stand: what to tell the family before they cancel. */
export async function cancellationTermsNow(ctx: DomainContext, appointment: { startsAt: Date; needsReschedule: boolean }): Promise<CancellationTerms> {
  return cancellationTerms(await requireClinicSettings(ctx), { startsAt: appointment.startsAt, dayOff: appointment.needsReschedule }, ctx.clock.now());
}
