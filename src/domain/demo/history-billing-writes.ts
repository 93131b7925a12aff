import { issueCreditNote, type ReceiptSnapshot } from '../billing/receipts.js';
import type { requireClinicSettings } from '../clinic/settings.js';
import { fixedClock } from '../../infra/clock.js';
import { addDays, clinicDate } from '../time.js';
import { later, MINUTE, padded, type HistoryScene, type PlannedAppointment, type PlannedPackage, type PlannedPayment } from './history-model.js';
import type { PastBilling } from './history-billing-plan.js';
import { giveIds, insertRows, reserveNumbers } from './insert-rows.js';

/**
 * Writes the past's appointments, packages and their draws, payments with their receipts, and the refund
 * with its credit note, in the order the clinic numbered them: appointments by booking, payments and
 * receipts by payment. Fills in the ids (and numbers) of what it wrote; returns the packages by key.
 */
export async function writeBilling(
  scene: HistoryScene,
  appointments: PlannedAppointment[],
  { packages, payments }: PastBilling,
  settings: Awaited<ReturnType<typeof requireClinicSettings>>,
): Promise<{ packageByKey: Map<string, PlannedPackage>; refunds: number }> {
  const { ctx, tz, desk, admin, service, audit } = scene;
  const firstAppointment = await reserveNumbers(ctx, 'appointment_number_seq', appointments.length);
  appointments.forEach((a, i) => (a.number = padded('APT-', firstAppointment + i)));
  const appointmentRows = await insertRows(
    ctx,
    'appointments',
    appointments.map((a) => ({
      appointment_number: a.number!,
      patient_id: a.patientId,
      therapist_id: a.therapistId,
      service_id: a.serviceId,
      slot_id: a.slotId,
      starts_at: a.startsAt,
      ends_at: a.endsAt,
      price_paise: a.pricePaise,
      status: a.outcome === 'completed' ? 'completed' : a.outcome === 'no_show' ? 'no_show' : 'cancelled',
      payment_status: a.paymentStatus,
      booked_via: 'cli',
      booked_by_staff_id: desk.id,
      completed_at: a.outcome === 'completed' ? a.doneAt : null,
      no_show_at: a.outcome === 'no_show' ? a.doneAt : null,
      cancelled_at: a.outcome.endsWith('cancel') ? a.doneAt : null,
      cancelled_by: a.outcome.endsWith('cancel') ? 'staff' : null,
      cancelled_by_staff_id: a.outcome === 'clinic_cancel' ? admin.id : a.outcome.endsWith('cancel') ? desk.id : null,
      cancellation_reason: a.reason ?? null,
      late_cancellation: a.outcome === 'late_cancel',
      policy_fee_paise: a.policyFee,
      created_at: a.createdAt,
      updated_at: a.doneAt,
    })),
    ['id'],
  );
  giveIds(appointments, appointmentRows);

  const packageRows = await insertRows(
    ctx,
    'patient_packages',
    packages.map((p) => ({
      patient_id: p.patientId,
      plan_id: p.planId,
      service_id: p.serviceId,
      sessions_total: p.sessions,
      price_paise: p.pricePaise,
      status: 'active',
      expires_on: addDays(clinicDate(p.soldAt, tz), p.validDays),
      sold_by_staff_id: desk.id,
      created_at: p.soldAt,
    })),
    ['id'],
  );
  giveIds(packages, packageRows);
  const packageByKey = new Map(packages.map((p) => [p.key, p]));
  const draws = appointments.filter((a) => a.packageKey);
  await insertRows(
    ctx,
    'package_draws',
    draws
      .sort((a, b) => a.doneAt.getTime() - b.doneAt.getTime())
      .map((a) => ({ package_id: packageByKey.get(a.packageKey!)!.id!, appointment_id: a.id!, reason: 'session', drawn_at: a.doneAt })),
  );
  const exhausted = packages.filter((p) => p.used >= p.sessions).map((p) => p.id!);
  if (exhausted.length) await ctx.db.updateTable('patient_packages').set({ status: 'exhausted' }).where('id', 'in', exhausted).execute();

  const firstPayment = await reserveNumbers(ctx, 'payment_reference_seq', payments.length);
  const firstReceipt = await reserveNumbers(ctx, 'receipt_number_seq', payments.length);
  payments.forEach((p, i) => {
    p.reference = padded('PAY-', firstPayment + i);
    p.receipt = padded(`${settings.receipt_prefix}-`, firstReceipt + i);
  });
  const paymentRows = await insertRows(
    ctx,
    'payments',
    payments.map((p) => ({
      reference: p.reference!,
      patient_id: p.patientId,
      appointment_id: p.appointment?.id ?? null,
      package_id: p.packageKey ? packageByKey.get(p.packageKey)!.id! : null,
      amount_paise: p.amountPaise,
      method: p.method,
      state: 'completed',
      utr: p.utr,
      razorpay_order_id: p.razorpay?.order ?? null,
      razorpay_payment_id: p.razorpay?.payment ?? null,
      razorpay_payment_link_id: p.razorpay?.link ?? null,
      razorpay_short_url: p.razorpay?.url ?? null,
      processed_by_staff_id: p.staff?.id ?? null,
      paid_at: p.paidAt,
      created_at: p.createdAt,
      updated_at: p.paidAt,
    })),
    ['id'],
  );
  giveIds(payments, paymentRows);

  const patientFacts = new Map((await ctx.db.selectFrom('patients').select(['id', 'patient_number', 'full_name']).execute()).map((p) => [p.id, p]));
  const clinic = { name: settings.name, address: settings.address, phone: settings.phone, email: settings.email, gstin: settings.gstin };
  const snapshot = (p: PlannedPayment, amountPaise: number, issuedAt: Date): ReceiptSnapshot => ({
    clinic,
    patient: { number: patientFacts.get(p.patientId)!.patient_number, name: patientFacts.get(p.patientId)!.full_name },
    item: p.packageKey ? p.item : service(p.item).name,
    appointmentNumber: p.appointment?.number ?? null,
    amountPaise,
    method: p.method,
    paymentReference: p.reference!,
    externalReference: p.utr ?? p.razorpay?.payment ?? null,
    issuedAt: issuedAt.toISOString(),
  });
  await insertRows(
    ctx,
    'receipts',
    payments.map((p) => ({
      receipt_number: p.receipt!,
      kind: 'receipt',
      payment_id: p.id!,
      amount_paise: p.amountPaise,
      snapshot: snapshot(p, p.amountPaise, p.paidAt),
      issued_at: p.paidAt,
    })),
  );

  // ---- The refund: the clinic cancelled a paid session and paid it back, with a credit note.
  const refunded = payments.find((p) => p.appointment?.outcome === 'clinic_cancel');
  let refunds = 0;
  if (refunded) {
    const processedAt = later(refunded.appointment!.doneAt, 6 * MINUTE);
    const refund = await ctx.db
      .insertInto('refunds')
      .values({
        payment_id: refunded.id!,
        amount_paise: refunded.amountPaise,
        reason: 'Session cancelled by the clinic (therapist at a workshop)',
        state: 'processed',
        processed_by_staff_id: admin.id,
        processed_at: processedAt,
        created_at: processedAt,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    await issueCreditNote({ ...ctx, clock: fixedClock(processedAt) }, refund.id);
    refunds = 1;
    audit.push({
      at: processedAt,
      actor: admin,
      action: 'payment.refund',
      entity: 'refund',
      entityId: () => refund.id,
      patientId: refunded.patientId,
      after: () => ({ paymentId: refunded.id, amountPaise: refunded.amountPaise, method: refunded.method, state: 'processed' }),
    });
  }
  return { packageByKey, refunds };
}
