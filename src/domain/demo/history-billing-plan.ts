import { addDays, zonedInstant } from '../time.js';
import type { DemoCaseload, DemoMethod } from './demo-clinic.js';
import { later, MINUTE, type HistoryScene, type PlanFacts, type PlannedAppointment, type PlannedPackage, type PlannedPayment } from './history-model.js';

export interface PastBilling {
  packages: PlannedPackage[];
  /** In the order paid: the order of their references and receipts. */
  payments: PlannedPayment[];
}

/**
 * Who paid what, when: packages bought before a session and drawn by completed sessions until used up
 * (then bought again, if so), sessions paid after they were attended (a few recent ones still owed), a
 * missed session's fee paid at the next visit, and the clinic's cancelled session paid for in advance.
 */
export function planBilling(scene: HistoryScene, appointments: readonly PlannedAppointment[], plans: Map<string, PlanFacts>): PastBilling {
  const { ctx, rng, tz, from, today, desk } = scene;
  const packages: PlannedPackage[] = [];
  const payments: PlannedPayment[] = [];
  const methodFor = (plan: DemoCaseload) => (plan.pays.length > 1 && rng.chance(0.3) ? rng.pick(plan.pays.slice(1)) : plan.pays[0]!);
  let utrCounter = 0;
  const latest = later(ctx.clock.now(), -5 * MINUTE);
  const paymentOf = (patientId: number, method: DemoMethod, amountPaise: number, attendedAt: Date, item: string): PlannedPayment => {
    const online = method === 'razorpay';
    // Paid online that evening (never after the demo's own now, when it runs just after midnight).
    const evening = later(attendedAt, rng.int(60, 300) * MINUTE);
    const paidAt = online ? (evening < latest ? evening : latest) : later(attendedAt, rng.int(2, 9) * MINUTE);
    return {
      patientId,
      amountPaise,
      method,
      createdAt: online ? later(attendedAt, MINUTE) : paidAt,
      paidAt,
      utr: method === 'upi' ? String(512_300_000_000 + ++utrCounter * 7_919) : null,
      razorpay: online
        ? { payment: `pay_${rng.token(14)}`, link: `plink_${rng.token(14)}`, order: `order_${rng.token(14)}`, url: `https://rzp.io/i/${rng.token(8)}` }
        : null,
      staff: online ? null : desk,
      item,
    };
  };
  const chronological = [...appointments].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const open = new Map<string, PlannedPackage>();
  const unpaidFees = new Map<number, PlannedAppointment[]>();
  for (const a of chronological) {
    const { plan } = a;
    const bought = plan.package;
    if (a.outcome === 'completed') {
      if (bought && a.serviceCode === plan.service && a.startsAt >= zonedInstant(addDays(from, bought.week * 7), '00:00', tz)) {
        let pkg = open.get(plan.patient);
        const used = packages.some((p) => p.patientId === a.patientId);
        if (!pkg && (!used || bought.renew)) {
          const p = plans.get(bought.plan)!;
          pkg = {
            key: `package:${packages.length}`,
            patientId: a.patientId,
            planId: p.id,
            planName: p.name,
            validDays: p.validDays,
            serviceId: p.serviceId,
            sessions: p.sessions,
            pricePaise: p.pricePaise,
            soldAt: later(a.startsAt, -rng.int(8, 15) * MINUTE),
            used: 0,
          };
          packages.push(pkg);
          open.set(plan.patient, pkg);
          const sale = paymentOf(a.patientId, bought.method, p.pricePaise, pkg.soldAt, `Package: ${p.name}`);
          sale.paidAt = sale.createdAt = pkg.soldAt;
          if (bought.method === 'razorpay') throw new Error('demo packages are sold at the desk');
          sale.packageKey = pkg.key;
          payments.push(sale);
        }
        if (pkg) {
          pkg.used++;
          a.packageKey = pkg.key;
          a.paymentStatus = 'paid';
          if (pkg.used >= pkg.sessions) open.delete(plan.patient);
        }
      }
      if (!a.packageKey) {
        const recent = a.startsAt >= zonedInstant(addDays(today, -12), '00:00', tz);
        if (!(recent && rng.chance(0.06))) {
          const pay = paymentOf(a.patientId, methodFor(plan), a.pricePaise, a.doneAt, a.serviceCode);
          pay.appointment = a;
          a.paymentStatus = 'paid';
          payments.push(pay);
        }
      }
      // A fee of a missed session is paid at the next visit.
      for (const missed of unpaidFees.get(a.patientId) ?? []) {
        const fee = paymentOf(a.patientId, plan.pays[0] === 'razorpay' ? 'upi' : plan.pays[0]!, missed.policyFee!, a.doneAt, missed.serviceCode);
        fee.paidAt = fee.createdAt = later(fee.paidAt, MINUTE);
        fee.appointment = missed;
        missed.paymentStatus = 'paid';
        payments.push(fee);
      }
      unpaidFees.delete(a.patientId);
    } else if (a.policyFee) {
      unpaidFees.set(a.patientId, [...(unpaidFees.get(a.patientId) ?? []), a]);
    } else if (a.outcome === 'clinic_cancel') {
      // Paid at the desk when booked; given back when the clinic cancelled.
      const prepaid = paymentOf(a.patientId, 'card', a.pricePaise, a.createdAt, a.serviceCode);
      prepaid.paidAt = prepaid.createdAt = later(a.createdAt, 2 * MINUTE);
      prepaid.appointment = a;
      a.paymentStatus = 'refunded';
      payments.push(prepaid);
    }
  }
  payments.sort((a, b) => a.paidAt.getTime() - b.paidAt.getTime());
  return { packages, payments };
}
