import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { appointmentIdFor, takingAppointment } from '../cli/appointment-choice.js';
import type { RunCommand } from '../cli/command-groups.js';
import { checkedBy, parseFlag, positiveRupeesValue } from '../cli/options.js';
import type { CommandEnv } from '../cli/io.js';
import { emit } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { upiAmount } from '../domain/billing/upi-link.js';
import { confirmUpiPayment, recordUpiPayment, startUpiPayment, upiTransactionId, type ConfirmedUpiPayment } from '../domain/billing/upi-payments.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { pngQr, terminalQr } from '../infra/qr.js';

interface UpiFlags {
  /** Paise. */
  amount?: number;
  png?: string;
  utr?: string;
}

/** A flag's value checked by the domain's own schema, the problem told with the flag's name. */
function confirmedLine(payment: ConfirmedUpiPayment): string {
  return (
    `Received ${formatRupees(payment.amountPaise)} by UPI (${payment.reference}, UTR ${payment.utr}); receipt ${payment.receiptNumber}.` +
    (payment.paymentStatus ? ` Appointment is now ${payment.paymentStatus.replace('_', ' ')}.` : '')
  );
}

async function payByUpi(env: CommandEnv, ref: string | undefined, flags: UpiFlags): Promise<number> {
  const { amount: amountPaise, utr } = flags;
  if (utr && flags.png) throw new InvalidInputError('--png is for asking to be paid; with --utr the payment is already made.');
  return withSession(env, async ({ ctx }) => {
    const appointmentId = await appointmentIdFor(env, ctx, ref);
    if (utr) {
      const payment = await recordUpiPayment(ctx, { appointmentId, amountPaise, utr });
      emit(env, payment, () => confirmedLine(payment));
      return 0;
    }
    const request = await startUpiPayment(ctx, { appointmentId, amountPaise });
    if (flags.png) await writeFile(flags.png, await pngQr(request.link));
    const data = { ...request, amount: upiAmount(request.amountPaise), ...(flags.png ? { png: flags.png } : {}) };
    const qr = env.json ? '' : await terminalQr(request.link);
    emit(env, data, () => [
      qr,
      `Scan to pay ${formatRupees(request.amountPaise)} to ${request.payee.payeeName} (${request.payee.vpa}) for ${request.appointmentNumber}.`,
      `Link:       ${request.link}`,
      `Reference:  ${request.reference}${request.reused ? ' (the same request as before)' : ''}`,
      ...(flags.png ? [`QR image:   ${flags.png}`] : []),
      `When the patient has paid: roshni pay confirm ${request.reference} --utr <UTR>`,
    ]);
    return 0;
  });
}

async function confirmByUtr(env: CommandEnv, reference: string, flags: { utr?: string }): Promise<number> {
  let utr = flags.utr;
  if (utr === undefined && env.interactive) {
    utr = await askText({ message: `UTR / UPI transaction id of ${reference.toUpperCase()}`, schema: upiTransactionId });
  }
  if (utr === undefined) throw new InvalidInputError("--utr is required: the UTR (UPI transaction id) shown in the patient's UPI app.");
  const checked = parseFlag(upiTransactionId, utr, '--utr');
  return withSession(env, async ({ ctx }) => {
    const payment = await confirmUpiPayment(ctx, { reference, utr: checked });
    emit(env, payment, () => confirmedLine(payment));
    return 0;
  });
}

export function registerUpiPayments(pay: Command, run: RunCommand): void {
  pay
    .command('upi [appointment]')
    .description('Show a UPI QR for what is due, or record a UPI payment already made with --utr')
    .option('--amount <rupees>', 'amount in rupees (default: what is due), e.g. 850 or 850.50', positiveRupeesValue)
    .option('--png <file>', 'also save the QR as a PNG image')
    .option('--utr <UTR>', "the patient has paid to the clinic's UPI id: record and confirm it at once", checkedBy(upiTransactionId))
    .action(run(takingAppointment((env, ref, flags: UpiFlags) => payByUpi(env, ref, flags))));
  pay
    .command('confirm <reference>')
    .description('Confirm a UPI payment (PAY-…) with the UTR the patient received')
    .option('--utr <UTR>', 'UTR / UPI transaction id, e.g. 432109876543', checkedBy(upiTransactionId))
    .action(run((env, reference: string, flags: { utr?: string }) => confirmByUtr(env, reference, flags)));
}
