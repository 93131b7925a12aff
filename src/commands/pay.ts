import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { appointmentIdFor, takingAppointment } from '../cli/appointment-choice.js';
import type { CommandEnv } from '../cli/io.js';
import { parseFlag, positiveRupeesValue } from '../cli/options.js';
import { askText } from '../cli/prompts.js';
import { emit } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { recordManualPayment } from '../domain/billing/record-manual-payment.js';
import { InvalidInputError } from '../domain/errors.js';
import { decimalRupees, formatRupees, positiveRupees } from '../domain/money.js';
import { getAppointment } from '../domain/scheduling/appointment-queries.js';
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

async function recordDeskPayment(env: CommandEnv, ref: string | undefined, method: 'cash' | 'card' | 'bank_transfer', flags: DeskFlags) {
  if (flags.amount === undefined && !env.interactive) throw new InvalidInputError('--amount is required, in rupees (e.g. 1000 or 850.50).');
  return withSession(env, async ({ ctx }) => {
    const appointmentId = await appointmentIdFor(env, ctx, ref);
    const amountPaise = flags.amount ?? (await askAmount(env, Number((await getAppointment(ctx, appointmentId)).due_paise)));
    const payment = await recordManualPayment(ctx, {
      appointmentId,
      amountPaise,
      method,
      ...(flags.note ? { note: flags.note } : {}),
    });
    emit(
      env,
      payment,
      () =>
        `Received ${formatRupees(amountPaise)} by ${method.replace('_', ' ')} (${payment.reference}); receipt ${payment.receiptNumber}. ` +
        `Appointment is now ${payment.paymentStatus?.replace('_', ' ')}.`,
    );
    return 0;
  });
}

/** On a terminal, the amount taken: what is due, unless the desk types another. */
async function askAmount(env: CommandEnv, duePaise: number): Promise<number> {
  const due = duePaise > 0 ? decimalRupees(duePaise) : undefined;
  const typed = await askText({ message: 'Amount received, in rupees', ...(due ? { initialValue: due } : {}), schema: positiveRupees, io: env.io });
  return parseFlag(positiveRupees, typed!, '--amount');
}

export function register(program: Command, run: RunCommand): void {
  const pay = program.command('pay').description('Take a payment for an appointment');
  for (const { name, method, description } of DESK_METHODS) {
    pay
      .command(`${name} [appointment]`)
      .description(description)
      .option('--amount <rupees>', 'amount in rupees, e.g. 1000 or 850.50', positiveRupeesValue)
      .option('--note <text>', 'a note for the accounts')
      .action(run(takingAppointment((env, ref, flags: DeskFlags) => recordDeskPayment(env, ref, method, flags))));
  }
  registerUpiPayments(pay, run);
  registerOnlinePayments(pay, run);
  registerPaymentRequestCancel(pay, run);
}
