import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveRupeesValue } from '../cli/options.js';
import { emit } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { refundPayment } from '../domain/billing/refund-payment.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';

interface RefundFlags {
  /** Paise. */
  amount?: number;
  reason?: string;
}

async function refund(env: CommandEnv, reference: string, flags: RefundFlags): Promise<number> {
  if (!flags.reason) throw new InvalidInputError('--reason is required: say why the money goes back.');
  const amountPaise = flags.amount;
  return withSession(env, async ({ ctx, config }) => {
    const { createConfiguredGateway } = await import('../infra/gateways/from-config.js');
    const result = await refundPayment(
      { ...ctx, ...(await createConfiguredGateway(config)) },
      { paymentReference: reference, reason: flags.reason!, ...(amountPaise !== undefined ? { amountPaise } : {}) },
    );
    emit(env, result, () =>
      result.state === 'processed'
        ? `Refunded ${formatRupees(result.amountPaise)} (${result.reference}); credit note ${result.creditNoteNumber}.`
        : `Refund ${result.reference} of ${formatRupees(result.amountPaise)} asked of Razorpay; the credit note follows when it is processed.`,
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('refund <payment>')
    .description('Refund a payment (PAY-…), fully or in part; cash/UPI recorded, Razorpay refunded through Razorpay')
    .option('--amount <rupees>', 'part of the payment (default: all that is left to refund)', positiveRupeesValue)
    .option('--reason <text>', 'why (required)')
    .action(run(refund));
}
