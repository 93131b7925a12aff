import type { Command } from 'commander';
import { appointmentIdFor, takingAppointment } from '../cli/appointment-choice.js';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, table, tableOr } from '../cli/output.js';
import { sessionAction, withSession, type CommandSession } from '../cli/session.js';
import { listDues, listPayments, reconcileDay } from '../domain/billing/billing-reports.js';
import { waiveCharge } from '../domain/billing/waive-charge.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { clinicDate, formatFriendly } from '../domain/time.js';
import { dateValue } from '../cli/options.js';

async function payments({ ctx, env }: CommandSession, flags: { from?: string; to?: string; method?: string; state?: string }): Promise<number> {
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const rows = await listPayments(ctx, {
    from: flags.from ?? today,
    to: flags.to ?? flags.from ?? today,
    ...(flags.method ? { method: (flags.method === 'bank' ? 'bank_transfer' : flags.method) as 'cash' } : {}),
    ...(flags.state ? { state: flags.state as 'completed' } : {}),
  });
  const total = rows.filter((r) => r.state === 'completed').reduce((sum, r) => sum + r.amount_paise, 0);
  emit(env, rows, () =>
    rows.length
      ? [
          table(
            ['When', 'Reference', 'Patient', 'Appointment', 'Method', 'Amount', 'State', 'Receipt', 'By'],
            rows.map((r) => [
              formatFriendly(r.paid_at ?? r.created_at, ctx.timezone),
              r.reference,
              r.patient_name,
              r.appointment_number ?? 'package',
              r.method,
              formatRupees(r.amount_paise),
              r.state,
              r.receipt_number ?? '',
              r.processed_by ?? '',
            ]),
          ),
          `Completed: ${formatRupees(total)}`,
        ]
      : 'No payments match.',
  );
  return 0;
}

async function reconcile({ ctx, env }: CommandSession, flags: { date?: string }): Promise<number> {
  const day = await reconcileDay(ctx, { date: flags.date ?? clinicDate(ctx.clock.now(), ctx.timezone) });
  emit(env, day, () => [
    `Reconciliation for ${day.date} (${ctx.timezone})`,
    `Expected for sessions attended: ${formatRupees(day.expectedPaise)}; still owed: ${formatRupees(day.outstandingPaise)}`,
    table(
      ['Method', 'Payments', 'Received', 'Refunded', 'Net'],
      day.receivedByMethod.map((m) => [
        m.method,
        m.count,
        formatRupees(m.receivedPaise),
        formatRupees(m.refundedPaise),
        formatRupees(m.receivedPaise - m.refundedPaise),
      ]),
    ),
    `Net received: ${formatRupees(day.receivedPaise)}`,
    day.unconfirmedUpi.length
      ? `UPI payments not yet confirmed (confirm with roshni pay confirm <ref> --utr …): ${day.unconfirmedUpi.map((u) => `${u.reference} ${formatRupees(u.amountPaise)}`).join(', ')}`
      : 'Every UPI payment is confirmed.',
    day.unmatchedRazorpay.length
      ? `Razorpay events not matched to a payment: ${day.unmatchedRazorpay.map((e) => `${e.eventId} (${e.eventType})`).join(', ')}`
      : 'Every Razorpay payment is matched.',
  ]);
  return 0;
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('dues')
    .description('Who owes what for sessions attended, oldest first')
    .action(
      sessionAction(run, async ({ ctx, env }) => {
        const rows = await listDues(ctx);
        emit(env, rows, () =>
          tableOr(
            ['Patient', 'Owes', 'Sessions', 'Since', 'Upcoming booked'],
            rows.map((r) => [
              `${r.patient_name} (${r.patient_number})`,
              formatRupees(r.due_paise),
              r.sessions,
              formatFriendly(r.oldest, ctx.timezone),
              formatRupees(r.upcoming_paise),
            ]),
            'Nobody owes anything.',
          ),
        );
        return 0;
      }),
    );
  program
    .command('payments')
    .description('Payments between two clinic dates (default today)')
    .option('--from <date>', 'first clinic date, YYYY-MM-DD', dateValue)
    .option('--to <date>', 'last clinic date, inclusive', dateValue)
    .option('--method <method>', 'cash, card, bank, upi or razorpay')
    .option('--state <state>', 'pending, completed, failed or cancelled')
    .action(sessionAction(run, payments));
  program
    .command('reconcile')
    .description("A day's money: expected vs received by method, unconfirmed UPI, unmatched Razorpay")
    .option('--date <date>', 'clinic date (default today)', dateValue)
    .action(sessionAction(run, reconcile));
  program
    .command('waive [appointment]')
    .description("Waive an appointment's charge (admin; refund any payment first)")
    .option('--reason <text>', 'why (required)')
    .action(
      run(
        takingAppointment(async (env, ref, flags: { reason?: string }) => {
          if (!flags.reason) throw new InvalidInputError('--reason is required to waive a charge.');
          return withSession(env, async ({ ctx }) => {
            const result = await waiveCharge(ctx, { appointmentId: await appointmentIdFor(env, ctx, ref), reason: flags.reason! });
            emit(env, result, () => `Waived the charge of ${result.appointmentNumber}.`);
            return 0;
          });
        }),
      ),
    );
}
