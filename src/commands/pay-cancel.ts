import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { cancelPaymentRequest } from '../domain/billing/cancel-payment-request.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { withRazorpay } from './pay-online.js';

async function cancelRequest(env: CommandEnv, reference: string, flags: { reason?: string }): Promise<number> {
  let reason = flags.reason;
  if (reason === undefined && env.interactive) reason = await askText({ message: `Why is ${reference.toUpperCase()} withdrawn?` });
  if (reason === undefined) throw new InvalidInputError('--reason is required: say why the request is withdrawn.');
  return withRazorpay(
    env,
    async (ctx) => {
      const cancelled = await cancelPaymentRequest(ctx, { reference, reason: reason! });
      emit(
        env,
        cancelled,
        () =>
          `Cancelled ${cancelled.reference} (${formatRupees(cancelled.amountPaise)} by ${cancelled.method === 'razorpay' ? 'Razorpay' : cancelled.method.toUpperCase()})` +
          (cancelled.linkCancelled ? '; its payment link no longer takes payments.' : '.'),
      );
    },
    { optional: true, whenRefused: 'The request is still open; try again in a moment.' },
  );
}

/** `roshni pay cancel`: withdraw a payment request (UPI QR or Razorpay link) nobody has paid. */
export function registerPaymentRequestCancel(pay: Command, run: RunCommand): void {
  pay
    .command('cancel <reference>')
    .description('Withdraw a pending payment request (PAY-…): a UPI QR, or a Razorpay link (cancelled at Razorpay)')
    .option('--reason <text>', 'why (required)')
    .action(run((env, reference: string, flags: { reason?: string }) => cancelRequest(env, reference, flags)));
}
