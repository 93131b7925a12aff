import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { patientIdsInCare } from '../people/in-care.js';
import { addDays, clinicDate } from '../time.js';
import { completePayment } from './complete-payment.js';
import { translateUtrConflict, upiTransactionId } from './utr.js';

const planInput = z.object({
  code: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be 2–32 lowercase letters, digits or dashes'),
  name: z.string().trim().min(3).max(120),
  serviceId: z.number().int().positive(),
  sessions: z.number().int().min(1).max(200),
  pricePaise: z.number().int().positive('must be more than zero'),
  validDays: z.number().int().min(1).max(1000).default(180),
});

/** A package the clinic sells: e.g. ten speech therapy sessions, paid once, at a discount. */
export async function addPackagePlan(ctx: DomainContext, raw: z.input<typeof planInput>) {
  authorize(ctx.actor, 'package.manage');
  const input = parseInput(planInput, raw);
  return inTransaction(ctx, async (tx) => {
    const plan = await tx.db
      .insertInto('package_plans')
      .values({
        code: input.code,
        name: input.name,
        service_id: input.serviceId,
        sessions: input.sessions,
        price_paise: input.pricePaise,
        valid_days: input.validDays,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          package_plans_code_key: () => new ConflictError(`A package plan with code ${input.code} already exists.`),
          package_plans_service_id_fkey: () => new NotFoundError(`No service with id ${input.serviceId}.`),
        }),
      );
    await recordAudit(tx, {
      action: 'package_plan.add',
      entity: 'package_plan',
      entityId: plan.id,
      after: { sessions: plan.sessions, pricePaise: plan.price_paise },
    });
    return plan;
  });
}

export async function listPackagePlans(ctx: DomainContext) {
  authorize(ctx.actor, 'billing.read');
  return ctx.db
    .selectFrom('package_plans as pl')
    .innerJoin('services as s', 's.id', 'pl.service_id')
    .select(['pl.id', 'pl.code', 'pl.name', 'pl.sessions', 'pl.price_paise', 'pl.valid_days', 's.name as service_name'])
    .where('pl.active', '=', true)
    .orderBy('pl.code')
    .execute();
}

const saleInput = z
  .object({
    patientId: z.number().int().positive(),
    planCode: z.string().trim().toLowerCase(),
    method: z.enum(['cash', 'card', 'bank_transfer', 'upi', 'razorpay'], { error: 'must be cash, card, bank_transfer, upi or razorpay' }),
    utr: upiTransactionId.optional(),
  })
  .refine((s) => s.method !== 'upi' || s.utr, { message: 'is required for UPI payments', path: ['utr'] });

/**
 * Sells a package. Paid at the desk, the package, its payment and the receipt come at once; sold
 * through Razorpay, the package waits with a pending payment that a payment link collects (the
 * webhook then completes it and the package becomes active).
 */
export async function sellPackage(ctx: DomainContext, raw: z.input<typeof saleInput>) {
  authorize(ctx.actor, 'package.sell');
  const input = parseInput(saleInput, raw);
  return inTransaction(ctx, async (tx) => {
    const plan = await tx.db.selectFrom('package_plans').selectAll().where('code', '=', input.planCode).where('active', '=', true).executeTakeFirst();
    if (!plan) throw new NotFoundError(`No package plan ${input.planCode}.`);
    const patient = await tx.db.selectFrom('patients').select('id').where('id', '=', input.patientId).where('erased_at', 'is', null).executeTakeFirst();
    if (!patient) throw new NotFoundError(`No patient with id ${input.patientId}.`);
    const today = clinicDate(tx.clock.now(), tx.timezone);
    const sold = await tx.db
      .insertInto('patient_packages')
      .values({
        patient_id: patient.id,
        plan_id: plan.id,
        service_id: plan.service_id,
        sessions_total: plan.sessions,
        price_paise: plan.price_paise,
        expires_on: addDays(today, plan.valid_days),
        sold_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returning(['id', 'expires_on'])
      .executeTakeFirstOrThrow();
    const payment = await tx.db
      .insertInto('payments')
      .values({
        patient_id: patient.id,
        package_id: sold.id,
        amount_paise: plan.price_paise,
        method: input.method,
        utr: input.utr ?? null,
        processed_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returning(['id', 'reference'])
      .executeTakeFirstOrThrow()
      .catch((error) => translateUtrConflict(error, input.utr));
    const completed = input.method === 'razorpay' ? null : await completePayment(tx, payment.id);
    await recordAudit(tx, {
      action: 'package.sell',
      entity: 'patient_package',
      entityId: sold.id,
      patientId: patient.id,
      after: { planId: plan.id, sessions: plan.sessions, method: input.method },
    });
    return {
      packageId: sold.id,
      plan: plan.name,
      sessions: plan.sessions,
      expiresOn: sold.expires_on,
      paymentId: payment.id,
      paymentReference: payment.reference,
      receiptNumber: completed?.receiptNumber ?? null,
    };
  });
}

/** Packages with their balance: sessions left is the total minus the sessions drawn. */
export async function packageBalances(ctx: DomainContext, filter: { patientId?: number; activeOnly?: boolean } = {}) {
  // Staff need the permission; a patient or guardian sees only their own (and their children's).
  const inCare = ctx.actor.kind === 'patient' || ctx.actor.kind === 'guardian' ? await patientIdsInCare(ctx) : null;
  if (!inCare) authorize(ctx.actor, 'billing.read');
  const patientId = filter.patientId;
  return ctx.db
    .selectFrom('patient_packages as pp')
    .innerJoin('package_plans as pl', 'pl.id', 'pp.plan_id')
    .innerJoin('patients as p', 'p.id', 'pp.patient_id')
    .innerJoin('services as s', 's.id', 'pp.service_id')
    .select([
      'pp.id',
      'pp.status',
      'pp.sessions_total',
      'pp.expires_on',
      'pl.name as plan_name',
      's.name as service_name',
      'p.patient_number',
      'p.full_name as patient_name',
    ])
    .select(sql<number>`pp.sessions_total - (SELECT count(*)::integer FROM package_draws d WHERE d.package_id = pp.id)`.as('sessions_left'))
    .$if(patientId !== undefined, (qb) => qb.where('pp.patient_id', '=', patientId!))
    .$if(inCare !== null, (qb) => qb.where('pp.patient_id', 'in', inCare!.length ? inCare! : [-1]))
    .$if(Boolean(filter.activeOnly), (qb) => qb.where('pp.status', '=', 'active'))
    .orderBy('pp.id')
    .execute();
}

/**
 * A completed session draws one from the patient's active, unexpired package for that service, unless
 * the session was paid for otherwise. The database keeps draws within the package (package_draw_balance).
 */
export async function drawFromPackage(
  ctx: DomainContext,
  appointment: { id: number; patient_id: number; service_id: number },
  reason: 'session' | 'late_cancellation' | 'no_show' = 'session',
) {
  const paid = await ctx.db
    .selectFrom('payments')
    .select('id')
    .where('appointment_id', '=', appointment.id)
    .where('state', '=', 'completed')
    .executeTakeFirst();
  if (paid) return null;
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const pkg = await ctx.db
    .selectFrom('patient_packages as pp')
    .select(['pp.id', 'pp.sessions_total'])
    .select(sql<number>`(SELECT count(*)::integer FROM package_draws d WHERE d.package_id = pp.id)`.as('used'))
    .where('pp.patient_id', '=', appointment.patient_id)
    .where('pp.service_id', '=', appointment.service_id)
    .where('pp.status', '=', 'active')
    .where('pp.expires_on', '>=', today)
    .orderBy('pp.expires_on')
    .executeTakeFirst();
  if (!pkg || pkg.used >= pkg.sessions_total) return null;
  await ctx.db.insertInto('package_draws').values({ package_id: pkg.id, appointment_id: appointment.id, reason, drawn_at: ctx.clock.now() }).execute();
  if (pkg.used + 1 >= pkg.sessions_total) {
    await ctx.db.updateTable('patient_packages').set({ status: 'exhausted' }).where('id', '=', pkg.id).execute();
  }
  await recordAudit(ctx, {
    action: 'package.draw',
    entity: 'patient_package',
    entityId: pkg.id,
    patientId: appointment.patient_id,
    after: { appointmentId: appointment.id, reason },
  });
  return { packageId: pkg.id, sessionsLeft: pkg.sessions_total - pkg.used - 1 };
}

/** Gives back a package session drawn for a late cancellation or no-show (a waiver); null when none was. */
export async function returnPolicySession(ctx: DomainContext, appointmentId: number) {
  const draw = await ctx.db
    .deleteFrom('package_draws')
    .where('appointment_id', '=', appointmentId)
    .where('reason', 'in', ['late_cancellation', 'no_show'])
    .returning('package_id')
    .executeTakeFirst();
  if (!draw) return null;
  await ctx.db.updateTable('patient_packages').set({ status: 'active' }).where('id', '=', draw.package_id).where('status', '=', 'exhausted').execute();
  return { packageId: draw.package_id };
}
