import { recordAudit } from '../audit/record-audit.js';
import { requireClinicSettings } from '../clinic/settings.js';
import type { DomainContext } from '../context.js';
import { drawFromPackage } from './packages.js';
import { refreshPaymentStatus } from './payment-status.js';

// The clinic's late-cancellation and no-show policy: a session of a package covering the service
// (when the clinic draws packages first), else the configured fee as a due. Staff can waive either
// with a reason (waive-charge.ts). Runs in the transaction of the cancellation or no-show.

export type MissedSession = 'late_cancellation' | 'no_show';

export type PolicyCharge = { kind: 'package_session'; packageId: number; sessionsLeft: number } | { kind: 'fee'; feePaise: number };

/** What the policy charges for a missed session: a package session first (when the clinic says so), else this fee. */
export interface MissedSessionTerms {
  feePaise: number;
  drawsPackage: boolean;
}

/** The policy's terms for `missed`, as the clinic has set them (the one reading, for charging and for telling the family). */
export function missedSessionTerms(
  settings: { late_cancel_fee_paise: number; no_show_fee_paise: number; policy_draws_package: boolean },
  missed: MissedSession,
): MissedSessionTerms {
  return { feePaise: missed === 'no_show' ? settings.no_show_fee_paise : settings.late_cancel_fee_paise, drawsPackage: settings.policy_draws_package };
}

export async function chargeMissedSession(
  ctx: DomainContext,
  appointment: { id: number; patient_id: number; service_id: number },
  missed: MissedSession,
): Promise<PolicyCharge | null> {
  const { feePaise: fee, drawsPackage } = missedSessionTerms(await requireClinicSettings(ctx), missed);
  let charge: PolicyCharge | null = null;
  if (drawsPackage) {
    const draw = await drawFromPackage(ctx, appointment, missed);
    if (draw) charge = { kind: 'package_session', ...draw };
  }
  if (!charge && fee > 0) {
    await ctx.db.updateTable('appointments').set({ policy_fee_paise: fee }).where('id', '=', appointment.id).execute();
    charge = { kind: 'fee', feePaise: fee };
  }
  if (!charge) return null;
  await refreshPaymentStatus(ctx, appointment.id);
  await recordAudit(ctx, {
    action: 'appointment.policy_charge',
    entity: 'appointment',
    entityId: appointment.id,
    patientId: appointment.patient_id,
    after: { missed, ...charge },
  });
  return charge;
}
