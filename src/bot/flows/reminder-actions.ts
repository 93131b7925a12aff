import { z } from 'zod';
import { isDomainError } from '../../domain/errors.js';
import { parseAction, type PatientAction } from '../../domain/notifications/actions.js';
import { confirmAppointment } from '../../domain/scheduling/attendance.js';
import { ownAppointmentById, type OwnAppointment } from '../../domain/scheduling/my-appointments.js';
import { acceptWaitlistOffer, declineWaitlistOffer } from '../../domain/scheduling/waitlist-offers.js';
import { sameSecond } from '../../domain/scheduling/appointment-lifecycle.js';
import { friendlyTime } from '../engine/i18n.js';
import { defineFlow, step } from '../engine/flow.js';
import { choice, say, unknownInput } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';
import { bookingVia, guarded, noData } from './common.js';

// Replies to the outbox's messages: confirm, cancel or reschedule the appointment a reminder named,
// or answer a waitlist offer. The token says which appointment and at what time the patient was
// told of; when that is no longer so (moved, cancelled, attended), the patient hears how things
// stand now and nothing is done. The domain decides everything else (who owns what, the slot).

const upcoming = (a: OwnAppointment, turn: Turn) =>
  (a.status === 'scheduled' || a.status === 'confirmed') && a.startsAt.getTime() > turn.ctx.clock.now().getTime();

async function onAppointment(turn: Turn, action: Extract<PatientAction, { appointmentId: number }>): Promise<void> {
  const a = await ownAppointmentById(turn.ctx, action.appointmentId).catch((error: unknown) => {
    if (isDomainError(error) && error.kind === 'not_found') return undefined;
    throw error;
  });
  if (!a) {
    say(turn, 'notFound', { ref: String(action.appointmentId) });
    return turn.goTo('menu');
  }
  const outdated = () => turn.goTo('my-appointments', { appointmentId: a.id, then: 'outdated' });
  if (!upcoming(a, turn) || !sameSecond(a.startsAt, action.startsAt)) return outdated();
  if (action.verb === 'cancel' || action.verb === 'reschedule') return turn.goTo('my-appointments', { appointmentId: a.id, then: action.verb });
  try {
    await guarded(turn, () =>
      confirmAppointment(turn.ctx, { appointmentId: a.id, via: bookingVia(turn.conversation.channel), expectedStartsAt: action.startsAt }),
    );
  } catch (error) {
    // A change that landed between our look and the confirmation (a staff reschedule).
    if (isDomainError(error) && error.details?.reason === 'appointment_moved') return outdated();
    throw error;
  }
  say(turn, 'reminderConfirmed', { number: a.appointmentNumber, when: friendlyTime(a.startsAt, turn.ctx.timezone, turn.conversation.language) });
  await turn.goTo('menu');
}

async function onOffer(turn: Turn, action: Extract<PatientAction, { offerId: number }>): Promise<void> {
  try {
    if (action.verb === 'offer-no') {
      await guarded(turn, () => declineWaitlistOffer(turn.ctx, { offerId: action.offerId }));
      say(turn, 'offerDeclined');
    } else {
      const answer = await guarded(turn, () => acceptWaitlistOffer(turn.ctx, { offerId: action.offerId }));
      if (answer.outcome === 'booked') say(turn, 'offerBooked', { number: answer.appointmentNumber });
      else say(turn, answer.outcome === 'taken' ? 'offerTaken' : 'offerExpired');
    }
  } catch (error) {
    if (!isDomainError(error)) throw error;
    // Someone else's offer, or one answered already: the same words either way.
    say(turn, error.kind === 'not_found' ? 'offerUnknown' : 'offerAnswered');
  }
  await turn.goTo('menu');
}

/** A pressed (or numbered) action from a message: valid whenever it was sent, checked against now. */
async function answerAction(turn: Turn, value: string): Promise<void> {
  const action = parseAction(value);
  if (!action) return unknownInput(turn);
  return 'offerId' in action ? onOffer(turn, action) : onAppointment(turn, action);
}

export const reminderActionsFlow = defineFlow({
  name: 'reminder-actions',
  input: z.object({ action: z.string() }),
  start: (turn, { action }) => answerAction(turn, action),
  steps: {
    /** The options a reminder or offer left in the chat (src/infra/channels/chat-offers.ts, OFFERED_REPLIES_STEP): "2" on WhatsApp lands here. */
    answer: step(noData, async (turn) => {
      const picked = choice(turn);
      if (picked) return answerAction(turn, picked);
      unknownInput(turn);
    }),
  },
});
