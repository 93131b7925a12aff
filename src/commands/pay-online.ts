import type { Command } from 'commander';
import { appointmentIdFor, takingAppointment } from '../cli/appointment-choice.js';
import type { RunCommand } from '../cli/command-groups.js';
import { ExitCode } from '../cli/exit-codes.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { positiveRupeesValue } from '../cli/options.js';
import { emit } from '../cli/output.js';
import { withSession, type Session } from '../cli/session.js';
import { PaymentGatewayError } from '../domain/billing/payment-gateway.js';
import { createOrder, createPaymentLink } from '../domain/billing/online-payments.js';
import type { DomainContext } from '../domain/context.js';
import { formatRupees } from '../domain/money.js';

/**
 * Runs `work` with the Razorpay gateway in the context (when `optional`, only if it is configured);
 * Razorpay's refusals become one line and exit 1.
 */
export async function withRazorpay(
  env: CommandEnv,
  work: (ctx: DomainContext, session: Session) => Promise<void>,
  options: { optional?: boolean; whenRefused?: string } = {},
): Promise<number> {
  try {
    await withSession(env, async (session) => {
      const { config, ctx } = session;
      if (options.optional) {
        const { createConfiguredGateway } = await import('../infra/gateways/from-config.js');
        return work({ ...ctx, ...(await createConfiguredGateway(config)) }, session);
      }
      const { createRazorpayGateway } = await import('../infra/gateways/razorpay.js');
      await work({ ...ctx, paymentGateway: createRazorpayGateway(config) }, session);
    });
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof PaymentGatewayError)) throw error;
    writeLine(env.io.stderr, `roshni: ${error.message} ${options.whenRefused ?? 'Nothing was charged; try again in a moment.'}`);
    return ExitCode.unexpected;
  }
}

async function sendPaymentLink(env: CommandEnv, ref: string | undefined, flags: { amount?: number }) {
  const amountPaise = flags.amount;
  return withRazorpay(env, async (ctx) => {
    const link = await createPaymentLink(ctx, { appointmentId: await appointmentIdFor(env, ctx, ref), ...(amountPaise ? { amountPaise } : {}) });
    const heading = `Payment link for ${formatRupees(link.amountPaise)} (${link.reference})${link.reused ? ', the one already sent: it is still open' : ''}:`;
    emit(env, link, () => [heading, link.shortUrl]);
  });
}

async function openOrder(env: CommandEnv, ref: string | undefined) {
  return withRazorpay(env, async (ctx) => {
    const order = await createOrder(ctx, { appointmentId: await appointmentIdFor(env, ctx, ref) });
    emit(env, order, () => `Razorpay order ${order.orderId} for ${formatRupees(order.amountPaise)} (${order.reference}).`);
  });
}

/** `roshni pay link` and `roshni pay order`: the webhook (`roshni serve`) records the payment when it is made. */
export function registerOnlinePayments(pay: Command, run: RunCommand): void {
  pay
    .command('link [appointment]')
    .description('Create a Razorpay payment link (UPI, cards, netbanking) to send to the patient')
    .option('--amount <rupees>', 'part of what is due, in rupees; all of it when left out', positiveRupeesValue)
    .action(run(takingAppointment((env, ref, flags: { amount?: number }) => sendPaymentLink(env, ref, flags))));
  pay
    .command('order [appointment]')
    .description('Create a Razorpay order for Checkout, for what is due')
    .action(run(takingAppointment((env, ref) => openOrder(env, ref))));
}
