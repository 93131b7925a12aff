import { z } from 'zod';
import { auditingDenials } from '../../domain/audit/denials.js';
import { createPaymentLink } from '../../domain/billing/online-payments.js';
import { startUpiPayment } from '../../domain/billing/upi-payments.js';
import { isDomainError } from '../../domain/errors.js';
import { ownAppointmentsWithDues } from '../../domain/scheduling/my-appointments.js';
import { pngQr } from '../../infra/qr.js';
import { afterCommit } from '../engine/after-commit.js';
import { friendlyTime, money, type MessageKey } from '../engine/i18n.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, offerOrMenu, opt, say, t, unknownInput } from '../engine/kit.js';
import type { Reply, Turn } from '../engine/types.js';
import { guarded, idFrom, localName, noData, recordId } from './common.js';

// Pay now (a Razorpay payment link when configured, otherwise the clinic's UPI QR and link) or at the clinic.

const offer = z.object({ appointmentId: recordId, amountPaise: z.number().int().nonnegative() });

function offerPayment(turn: Turn, { appointmentId, amountPaise }: z.infer<typeof offer>): void {
  ask(turn, 'pay.choose', t(turn, 'payNowOrLater', { amount: money(amountPaise) }), [opt('now', t(turn, 'payNow')), opt('clinic', t(turn, 'payAtClinic'))], {
    appointmentId,
  });
}

const chooseWhen = step(z.object({ appointmentId: recordId }), async (turn, { appointmentId }) => {
  const picked = choice(turn);
  if (picked === 'clinic') {
    say(turn, 'paidAtClinic');
    return turn.goTo('menu');
  }
  if (picked !== 'now') return unknownInput(turn);
  await requestPayment(turn, appointmentId);
});

async function requestPayment(turn: Turn, appointmentId: number): Promise<void> {
  // The domain checks that the appointment is the patient's own (anyone else's is "not found").
  if (turn.ctx.paymentGateway) {
    // Razorpay is asked once the turn has committed: a slow Razorpay holds neither this chat nor the appointment.
    afterCommit(turn, async (ctx) => {
      try {
        const link = await auditingDenials(ctx, () => createPaymentLink(ctx, { appointmentId }), { channel: turn.conversation.channel });
        return [
          { kind: 'link', text: t(turn, 'paymentLinkText', { amount: money(link.amountPaise) }), url: link.shortUrl, label: t(turn, 'paymentLinkLabel') },
        ];
      } catch (error) {
        return [refusal(turn, error, appointmentId)];
      }
    });
  } else {
    try {
      const request = await guarded(turn, () => startUpiPayment(turn.ctx, { appointmentId }));
      const amount = money(request.amountPaise);
      turn.replies.push({
        kind: 'image',
        png: await pngQr(request.link),
        caption: t(turn, 'upiCaption', { amount, reference: request.reference }),
        encodes: request.link,
      });
      turn.replies.push({ kind: 'link', text: t(turn, 'upiLinkText', { amount }), url: request.link, label: t(turn, 'upiLinkLabel') });
    } catch (error) {
      turn.replies.push(refusal(turn, error, appointmentId));
    }
  }
  await turn.goTo('menu');
}

/** What to tell the family when a payment cannot be asked for. */
function refusal(turn: Turn, error: unknown, appointmentId: number): Reply {
  const say = (key: MessageKey, values?: Record<string, string>): Reply => ({ kind: 'text', text: t(turn, key, values) });
  if (isDomainError(error) && error.kind === 'invalid') return say('nothingDue');
  if (isDomainError(error) && error.kind === 'not_found') return say('notFound', { ref: String(appointmentId) });
  turn.deps.log?.('bot.payment_declined', { conversationId: turn.conversation.id, error: error instanceof Error ? error.name : 'unknown' });
  return say('paymentDeclined');
}

async function startPayDues(turn: Turn): Promise<void> {
  const dues = await ownAppointmentsWithDues(turn.ctx);
  const lang = turn.conversation.language;
  const line = (a: (typeof dues)[number]) =>
    `${a.appointmentNumber} · ${localName(turn, a.serviceName, a.serviceNameHi)} · ${friendlyTime(a.startsAt, turn.ctx.timezone, lang)} · ${money(a.duePaise)}`;
  await offerOrMenu(
    turn,
    'pay.pick',
    t(turn, 'pickDue'),
    dues.map((a) => opt(`appt:${a.id}`, line(a))),
    'nothingDue',
  );
}

const pickDue = step(noData, async (turn) => {
  const id = idFrom(choice(turn), 'appt');
  if (!id) return unknownInput(turn);
  await requestPayment(turn, id);
});

export const payFlow = defineFlow({
  name: 'pay',
  /** Nothing to pick among the dues; a just-booked appointment and its price to offer paying now or at the clinic. */
  input: offer.optional(),
  start: (turn, input) => (input ? offerPayment(turn, input) : startPayDues(turn)),
  steps: { choose: chooseWhen, pick: pickDue },
});
