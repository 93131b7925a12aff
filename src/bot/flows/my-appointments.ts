import { z } from 'zod';
import { packageBalances } from '../../domain/billing/packages.js';
import { requireClinicSettings } from '../../domain/clinic/settings.js';
import { isDomainError } from '../../domain/errors.js';
import { cancelAppointment } from '../../domain/scheduling/cancel-appointment.js';
import { cancellationTermsNow } from '../../domain/scheduling/cancellation-terms.js';
import { ownAppointment, ownAppointmentById, upcomingOwnAppointments, type OwnAppointment } from '../../domain/scheduling/my-appointments.js';
import type { PolicyCharge } from '../../domain/billing/missed-session-policy.js';
import { friendlyTime, money } from '../engine/i18n.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, opt, say, t, typed, unknownInput } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';
import { guarded, idFrom, localName, noData, recordId } from './common.js';

// My appointments: see them, and reschedule or cancel one (with the late-cancellation rule).
// Whatever id or number is typed, only one's own (and one's children's) appointments are found.

const when = (turn: Turn, a: OwnAppointment) => friendlyTime(a.startsAt, turn.ctx.timezone, turn.conversation.language);

/** Sessions left in their packages, said before the appointments (the patient's own view of the balance). */
async function sayPackageBalances(turn: Turn): Promise<void> {
  for (const pkg of await packageBalances(turn.ctx, { activeOnly: true })) {
    say(turn, 'packageBalance', { plan: pkg.plan_name, left: pkg.sessions_left, total: pkg.sessions_total, until: pkg.expires_on, who: pkg.patient_name });
  }
}

async function startMyAppointments(turn: Turn): Promise<void> {
  await sayPackageBalances(turn);
  const upcoming = await upcomingOwnAppointments(turn.ctx);
  if (!upcoming.length) {
    say(turn, 'noAppointments');
    return turn.goTo('menu');
  }
  const several = new Set(upcoming.map((a) => a.patientId)).size > 1;
  ask(
    turn,
    'my-appointments.list',
    t(turn, 'yourAppointments'),
    [
      ...upcoming.map((a) =>
        opt(
          `appt:${a.id}`,
          t(turn, 'appointmentLine', {
            number: a.appointmentNumber,
            service: localName(turn, a.serviceName, a.serviceNameHi),
            therapist: a.therapistName,
            when: when(turn, a),
            who: several ? ` (${a.patientName})` : '',
          }),
        ),
      ),
      opt('menu', t(turn, 'backToMenu')),
    ],
    {},
  );
}

function showActions(turn: Turn, a: OwnAppointment): void {
  ask(
    turn,
    'my-appointments.actions',
    t(turn, 'apptActions', {
      number: a.appointmentNumber,
      service: localName(turn, a.serviceName, a.serviceNameHi),
      therapist: a.therapistName,
      when: when(turn, a),
    }),
    [opt('reschedule', t(turn, 'reschedule')), opt('cancel', t(turn, 'cancel')), opt('menu', t(turn, 'backToMenu'))],
    { appointmentId: a.id },
  );
}

async function find(turn: Turn, ref: { id: number } | { text: string }): Promise<OwnAppointment | undefined> {
  try {
    return 'id' in ref ? await ownAppointmentById(turn.ctx, ref.id) : await ownAppointment(turn.ctx, ref.text);
  } catch (error) {
    if (isDomainError(error) && error.kind === 'not_found') {
      say(turn, 'notFound', { ref: 'id' in ref ? String(ref.id) : ref.text.slice(0, 20) });
      return undefined;
    }
    throw error;
  }
}

const list = step(noData, async (turn) => {
  if (choice(turn) === 'menu') return turn.goTo('menu');
  const id = idFrom(choice(turn), 'appt');
  const text = typed(turn);
  if (!id && !(text && /^[A-Za-z]{0,4}-?\d{1,9}$/.test(text))) return unknownInput(turn);
  const found = await find(turn, id ? { id } : { text: text! });
  if (!found) return startMyAppointments(turn);
  showActions(turn, found);
});

/** "Cancel {number}?", naming what the clinic's late-cancellation policy would charge (as cancelling would). */
async function askCancel(turn: Turn, a: OwnAppointment): Promise<void> {
  const terms = await cancellationTermsNow(turn.ctx, a);
  const amount = money(terms.feePaise);
  const charge = terms.drawsPackage
    ? t(turn, terms.feePaise > 0 ? 'lateTermsPackageOrFee' : 'lateTermsPackage', { amount })
    : t(turn, terms.feePaise > 0 ? 'lateTermsFee' : 'lateTermsNone', { amount });
  ask(
    turn,
    'my-appointments.cancel',
    t(turn, terms.late ? 'confirmCancelLate' : 'confirmCancel', { number: a.appointmentNumber, when: when(turn, a), hours: terms.lateCancelHours, charge }),
    [opt('yes', t(turn, 'yesCancel')), opt('no', t(turn, 'no'))],
    { appointmentId: a.id, startsAt: a.startsAt.toISOString() },
  );
}

/** Opens the booking steps (therapist, day, time) to move this appointment. */
const startReschedule = (turn: Turn, a: OwnAppointment) =>
  turn.goTo('book', { reschedule: { appointmentId: a.id, appointmentNumber: a.appointmentNumber, patientId: a.patientId } });

const actions = step(z.object({ appointmentId: recordId }), async (turn, { appointmentId }) => {
  const picked = choice(turn);
  if (picked === 'menu') return turn.goTo('menu');
  if (picked !== 'reschedule' && picked !== 'cancel') return unknownInput(turn);
  const a = await find(turn, { id: appointmentId });
  if (!a) return turn.goTo('menu');
  return picked === 'cancel' ? askCancel(turn, a) : startReschedule(turn, a);
});

function chargeText(turn: Turn, charge: PolicyCharge | null): string {
  if (!charge) return '';
  return charge.kind === 'fee' ? t(turn, 'chargedFee', { amount: money(charge.feePaise) }) : t(turn, 'chargedPackage', { left: charge.sessionsLeft });
}

const cancelling = z.object({ appointmentId: recordId, startsAt: z.iso.datetime().optional() });

const cancel = step(cancelling, async (turn, { appointmentId, startsAt }) => {
  const picked = choice(turn);
  if (picked === 'no') {
    say(turn, 'keptAppointment');
    return turn.goTo('menu');
  }
  if (picked !== 'yes') return unknownInput(turn);
  try {
    const done = await guarded(turn, () => cancelAppointment(turn.ctx, { appointmentId, ...(startsAt ? { expectedStartsAt: startsAt } : {}) }));
    const { late_cancel_hours: hours } = await requireClinicSettings(turn.ctx);
    say(turn, done.lateCancellation ? 'cancelledLate' : 'cancelled', { number: done.appointmentNumber, hours, charge: chargeText(turn, done.policyCharge) });
  } catch (error) {
    if (!isDomainError(error)) throw error;
    if (error.kind === 'not_found') say(turn, 'notFound', { ref: String(appointmentId) });
    else if (error.details?.reason === 'appointment_moved') return sayOutdated(turn, appointmentId);
    else turn.replies.push({ kind: 'text', text: error.message });
  }
  await turn.goTo('menu');
});

/**
 * The appointment a message or an earlier question was about has changed since (moved, cancelled,
 * attended): say so, show it as it is now, and change nothing.
 */
async function sayOutdated(turn: Turn, appointmentId: number): Promise<void> {
  const a = await ownAppointmentById(turn.ctx, appointmentId).catch(() => undefined);
  if (!a) {
    say(turn, 'notFound', { ref: String(appointmentId) });
    return turn.goTo('menu');
  }
  if (a.status === 'scheduled' || a.status === 'confirmed') {
    say(turn, 'outdatedMoved', { number: a.appointmentNumber, when: when(turn, a) });
    return showActions(turn, a);
  }
  say(turn, 'outdatedClosed', { number: a.appointmentNumber, status: t(turn, statusKey(a.status)) });
  await turn.goTo('menu');
}

const statusKey = (status: string) =>
  status === 'cancelled' ? 'statusCancelled' : status === 'no_show' ? 'statusMissed' : status === 'completed' ? 'statusCompleted' : 'statusUnderway';

/** What another flow (a reminder's reply) may ask about one of the family's appointments. */
const about = z.object({ appointmentId: recordId, then: z.enum(['cancel', 'reschedule', 'outdated']) });

async function startAbout(turn: Turn, { appointmentId, then }: z.infer<typeof about>): Promise<void> {
  if (then === 'outdated') return sayOutdated(turn, appointmentId);
  const a = await find(turn, { id: appointmentId });
  if (!a) return turn.goTo('menu');
  return then === 'cancel' ? askCancel(turn, a) : startReschedule(turn, a);
}

export const myAppointmentsFlow = defineFlow({
  name: 'my-appointments',
  /** Nothing for the list; an appointment and what to do with it (a reminder's reply). */
  input: about.optional(),
  start: (turn, input) => (input ? startAbout(turn, input) : startMyAppointments(turn)),
  steps: { list, actions, cancel },
});
