import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveRupeesValue } from '../cli/options.js';
import { emit } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { recordManualPayment } from '../domain/billing/record-manual-payment.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { resolveAppointmentId } from '../domain/people/resolve.js';
import { registerPaymentRequestCancel } from './pay-cancel.js';
import { registerOnlinePayments } from './pay-online.js';
import { registerUpiPayments } from './pay-upi.js';

const DESK_METHODS = [
  { name: 'cash', method: 'cash', description: 'Record cash taken at the desk' },
  { name: 'card', method: 'card', description: 'Record a card payment on the POS machine' },
  { name: 'bank', method: 'bank_transfer', description: 'Record a bank transfer (NEFT/IMPS) received' },
] as const;

interface DeskFlags {
  /** Paise. */
  amount?: number;
  note?: string;
}

async function recordDeskPayment(env: CommandEnv, ref: string, method: 'cash' | 'card' | 'bank_transfer', flags: DeskFlags) {
  if (flags.amount === undefined) throw new InvalidInputError('--amount is required, in rupees (e.g. 1000 or 850.50).');
  const amountPaise = flags.amount;
  return withSession(env, async ({ ctx }) => {
    const payment = await recordManualPayment(ctx, {
      appointmentId: await resolveAppointmentId(ctx, ref),
      amountPaise,
      method,
      ...(flags.note ? { note: flags.note } : {}),
    });
    emit(env, payment, () =>
      `Received ${formatRupees(amountPaise)} by ${method.replace('_', ' ')} (${payment.reference}); receipt ${payment.receiptNumber}. ` +
      `Appointment is now ${payment.paymentStatus?.replace('_', ' ')}.`,
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const pay = program.command('pay').description('Take a payment for an appointment');
  for (const { name, method, description } of DESK_METHODS) {
    pay
      .command(`${name} <appointment>`)
      .description(description)
      .option('--amount <rupees>', 'amount in rupees, e.g. 1000 or 850.50', positiveRupeesValue)
      .option('--note <text>', 'a note for the accounts')
      .action(run((env, ref: string, flags: DeskFlags) => recordDeskPayment(env, ref, method, flags)));
  }
  registerUpiPayments(pay, run);
  registerOnlinePayments(pay, run);
  registerPaymentRequestCancel(pay, run);
}
