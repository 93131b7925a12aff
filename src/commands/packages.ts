import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { checkedBy, positiveInt, positiveRupeesValue } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { sessionAction, withSession } from '../cli/session.js';
import { addPackagePlan, listPackagePlans, packageBalances, sellPackage } from '../domain/billing/packages.js';
import { InvalidInputError } from '../domain/errors.js';
import { upiTransactionId } from '../domain/billing/utr.js';
import { formatRupees } from '../domain/money.js';
import { patientFor } from '../cli/pick-person.js';
import { requireServiceByCode } from '../domain/scheduling/services.js';

interface PlanFlags {
  code?: string;
  name?: string;
  service?: string;
  sessions?: number;
  /** Paise. */
  price?: number;
  validDays?: number;
}

async function addPlan(env: CommandEnv, flags: PlanFlags): Promise<number> {
  const missing = (['code', 'name', 'service', 'sessions', 'price'] as const).filter((f) => flags[f] === undefined);
  if (missing.length) throw new InvalidInputError(`${missing.map((m) => `--${m}`).join(', ')} required.`);
  const pricePaise = flags.price!;
  return withSession(env, async ({ ctx }) => {
    const service = await requireServiceByCode(ctx, flags.service!);
    const plan = await addPackagePlan(ctx, {
      code: flags.code!,
      name: flags.name!,
      serviceId: service.id,
      sessions: flags.sessions!,
      pricePaise,
      ...(flags.validDays ? { validDays: flags.validDays } : {}),
    });
    emit(
      env,
      plan,
      () => `Package plan ${plan.code}: ${plan.sessions} × ${service.name} for ${formatRupees(plan.price_paise)}, valid ${plan.valid_days} days.`,
    );
    return 0;
  });
}

async function sell(env: CommandEnv, flags: { patient?: string; plan?: string; method?: string; utr?: string }): Promise<number> {
  if (!flags.patient || !flags.plan || !flags.method) throw new InvalidInputError('--patient, --plan and --method are required.');
  return withSession(env, async ({ ctx, config }) => {
    const patient = await patientFor(env, ctx, flags.patient!);
    const online = flags.method === 'razorpay';
    // Checked before the sale, so an online sale without Razorpay leaves no package waiting for payment.
    const gateway = online ? await (await import('../infra/gateways/from-config.js')).createConfiguredGateway(config) : {};
    if (online && !gateway.paymentGateway) throw new InvalidInputError('Razorpay is not configured: set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET.');
    const sale = await sellPackage(ctx, {
      patientId: patient.id,
      planCode: flags.plan!,
      method: (flags.method === 'bank' ? 'bank_transfer' : flags.method) as 'cash',
      ...(flags.utr ? { utr: flags.utr } : {}),
    });
    if (sale.receiptNumber) {
      emit(
        env,
        sale,
        () =>
          `Sold ${sale.plan} to ${patient.full_name}: ${sale.sessions} sessions until ${sale.expiresOn}. Paid ${sale.paymentReference}, receipt ${sale.receiptNumber}.`,
      );
      return 0;
    }
    const { createPaymentLink } = await import('../domain/billing/online-payments.js');
    const link = await createPaymentLink({ ...ctx, ...gateway }, { paymentId: sale.paymentId });
    emit(
      env,
      { ...sale, paymentLink: link },
      () =>
        `Sold ${sale.plan} to ${patient.full_name}, to be paid online: ${link.shortUrl} (${sale.paymentReference}). It becomes active when Razorpay confirms the payment.`,
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const pkg = program.command('package').description('Session packages: plans, sales and balances');
  pkg
    .command('plans')
    .description('Packages the clinic sells')
    .action(
      sessionAction(run, async ({ ctx, env }) => {
        const plans = await listPackagePlans(ctx);
        emit(env, plans, () =>
          tableOr(
            ['Code', 'Name', 'Service', 'Sessions', 'Price', 'Valid'],
            plans.map((p) => [p.code, p.name, p.service_name, p.sessions, formatRupees(p.price_paise), `${p.valid_days} days`]),
            'No package plans yet: add one with roshni package add-plan.',
          ),
        );
        return 0;
      }),
    );
  pkg
    .command('add-plan')
    .description('Add a package plan (admin)')
    .option('--code <code>', 'short code, e.g. speech-10')
    .option('--name <name>', 'name, e.g. "10 speech therapy sessions"')
    .option('--service <code>', 'the service its sessions are for')
    .option('--sessions <n>', 'number of sessions', positiveInt)
    .option('--price <rupees>', 'price of the whole package, in rupees', positiveRupeesValue)
    .option('--valid-days <n>', 'days it stays valid after sale (default 180)', positiveInt)
    .action(run(addPlan));
  pkg
    .command('sell')
    .description('Sell a package, paid at the desk; each completed session then draws one from it')
    .option('--patient <patient>', 'patient')
    .option('--plan <code>', 'package plan code')
    .option('--method <method>', 'cash, card, bank, upi, or razorpay (sends a payment link)')
    .option('--utr <utr>', 'UTR of a UPI payment', checkedBy(upiTransactionId))
    .action(run(sell));
  pkg
    .command('list')
    .description('Packages and their balances')
    .option('--patient <patient>', 'one patient')
    .option('--active', 'only active packages')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { patient?: string; active?: boolean }) => {
        const patientId = flags.patient ? (await patientFor(env, ctx, flags.patient)).id : undefined;
        const rows = await packageBalances(ctx, { ...(patientId ? { patientId } : {}), activeOnly: Boolean(flags.active) });
        emit(env, rows, () =>
          tableOr(
            ['Package', 'Patient', 'Plan', 'Left', 'Expires', 'Status'],
            rows.map((r) => [r.id, `${r.patient_name} (${r.patient_number})`, r.plan_name, `${r.sessions_left}/${r.sessions_total}`, r.expires_on, r.status]),
            'No packages.',
          ),
        );
        return 0;
      }),
    );
}
