import { auditingDenials } from '../../domain/audit/denials.js';
import { createPaymentLink } from '../../domain/billing/online-payments.js';
import { startUpiPayment } from '../../domain/billing/upi-payments.js';
import { isDomainError } from '../../domain/errors.js';
import { ownAppointmentsWithDues } from '../../domain/scheduling/my-appointments.js';
import { pngQr } from '../../infra/qr.js';
import { afterCommit } from '../engine/after-commit.js';
import { friendlyTime, money, type MessageKey } from '../engine/i18n.js';
import { ask, choice, data, opt, say, t, unknownInput } from '../engine/kit.js';
import type { Reply, StepHandler, Turn } from '../engine/types.js';
import { guarded, idFrom, localName } from './common.js';
import { showMenu } from './menu.js';

// Pay now (a Razorpay payment link when configured, otherwise the clinic's UPI QR and link) or at the clinic.

export function offerPayment(turn: Turn, appointmentId: number, amountPaise: number): void {
  ask(turn, 'pay.choose', t(turn, 'payNowOrLater', { amount: money(amountPaise) }), [opt('now', t(turn, 'payNow')), opt('clinic', t(turn, 'payAtClinic'))], {
    appointmentId,
  });
}

const chooseWhen: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked === 'clinic') {
    say(turn, 'paidAtClinic');
    return showMenu(turn);
  }
  if (picked !== 'now') return unknownInput(turn);
  await requestPayment(turn, data<number>(turn, 'appointmentId'));
};

export async function requestPayment(turn: Turn, appointmentId: number): Promise<void> {
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
  showMenu(turn);
}

/** What to tell the family when a payment cannot be asked for. */
function refusal(turn: Turn, error: unknown, appointmentId: number): Reply {
  const say = (key: MessageKey, values?: Record<string, string>): Reply => ({ kind: 'text', text: t(turn, key, values) });
  if (isDomainError(error) && error.kind === 'invalid') return say('nothingDue');
  if (isDomainError(error) && error.kind === 'not_found') return say('notFound', { ref: String(appointmentId) });
  turn.deps.log?.('bot.payment_declined', { conversationId: turn.conversation.id, error: error instanceof Error ? error.name : 'unknown' });
  return say('paymentDeclined');
}

export async function startPayDues(turn: Turn): Promise<void> {
  const dues = await ownAppointmentsWithDues(turn.ctx);
  if (!dues.length) {
    say(turn, 'nothingDue');
    return showMenu(turn);
  }
  const lang = turn.conversation.language;
  ask(
    turn,
    'pay.pick',
    t(turn, 'pickDue'),
    dues.map((a) =>
      opt(
        `appt:${a.id}`,
        `${a.appointmentNumber} · ${localName(turn, a.serviceName, a.serviceNameHi)} · ${friendlyTime(a.startsAt, turn.ctx.timezone, lang)} · ${money(a.duePaise)}`,
      ),
    ),
    {},
  );
}

const pickDue: StepHandler = async (turn) => {
  const id = idFrom(choice(turn), 'appt');
  if (!id) return unknownInput(turn);
  await requestPayment(turn, id);
};

export const paySteps: Record<string, StepHandler> = { 'pay.choose': chooseWhen, 'pay.pick': pickDue };
