import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, parseInput } from '../errors.js';
import { columnsOf, columnValues, givenFields } from '../field-changes.js';
import { rupees } from '../money.js';
import { authorize } from '../policy.js';
import { clockTime } from '../time.js';
import type { ClinicSettings } from '../../infra/db/schema.js';
import { requireClinicSettings } from './settings.js';

// The rules the clinic books, reminds and charges by, and how long a staff session may sit idle: one row of
// clinic_settings, changed by an admin.

const minutes = (max: number) => z.number().int().min(0).max(max);

export const clinicPoliciesInput = z
  .object({
    lateCancelHours: minutes(24 * 14),
    lateCancelFeePaise: rupees,
    noShowFeePaise: rupees,
    policyDrawsPackage: z.boolean(),
    reminderOffsetsMinutes: z
      .array(
        z
          .number()
          .int()
          .min(10, 'must be at least 10 minutes')
          .max(7 * 24 * 60, 'must be at most a week'),
      )
      .max(4, 'at most four reminders')
      .refine((list) => new Set(list).size === list.length, 'must not repeat a time'),
    quietHoursStart: clockTime,
    quietHoursEnd: clockTime,
    changeGraceMinutes: minutes(60),
    waitlistOfferMinutes: z
      .number()
      .int()
      .min(5)
      .max(24 * 60),
    minNoticeMinutes: minutes(7 * 24 * 60),
    maxAdvanceDays: z.number().int().min(1).max(366),
    dataRetentionYears: z.number().int().min(1).max(30),
    /** When therapists get the day's schedule; null: no daily summary. */
    therapistSummaryAt: clockTime.nullable(),
    /** A staff session unused this long ends (the database enforces it: roshni_auth.live_session, migration 0017). */
    sessionIdleMinutes: z
      .number()
      .int()
      .min(5, 'must be at least 5 minutes')
      .max(7 * 24 * 60, 'must be at most 7 days'),
  })
  .partial();
export type ClinicPoliciesInput = z.input<typeof clinicPoliciesInput>;

const COLUMNS = columnsOf(clinicPoliciesInput.shape) satisfies Record<string, keyof ClinicSettings>;

export type ClinicPolicies = Required<z.output<typeof clinicPoliciesInput>>;

export async function getClinicPolicies(ctx: DomainContext): Promise<ClinicPolicies> {
  const s = await requireClinicSettings(ctx);
  return {
    lateCancelHours: s.late_cancel_hours,
    lateCancelFeePaise: s.late_cancel_fee_paise,
    noShowFeePaise: s.no_show_fee_paise,
    policyDrawsPackage: s.policy_draws_package,
    reminderOffsetsMinutes: s.reminder_offsets_minutes,
    quietHoursStart: String(s.quiet_hours_start).slice(0, 5),
    quietHoursEnd: String(s.quiet_hours_end).slice(0, 5),
    changeGraceMinutes: s.change_grace_minutes,
    waitlistOfferMinutes: s.waitlist_offer_minutes,
    minNoticeMinutes: s.min_notice_minutes,
    maxAdvanceDays: s.max_advance_days,
    dataRetentionYears: s.data_retention_years,
    therapistSummaryAt: s.therapist_summary_at === null ? null : String(s.therapist_summary_at).slice(0, 5),
    sessionIdleMinutes: s.session_idle_minutes,
  };
}

/** Changes the given policies (an admin only); the audit keeps the before and after of each. */
export async function updateClinicPolicies(ctx: DomainContext, raw: ClinicPoliciesInput): Promise<ClinicPolicies> {
  authorize(ctx.actor, 'clinic.configure');
  const input = parseInput(clinicPoliciesInput, raw);
  const keys = givenFields(COLUMNS, input);
  if (!keys.length) throw new InvalidInputError('Nothing to change: name at least one setting.');
  return inTransaction(ctx, async (tx) => {
    const before = await getClinicPolicies(tx);
    await tx.db
      .updateTable('clinic_settings')
      .set(columnValues(COLUMNS, keys, input))
      .execute();
    const after = await getClinicPolicies(tx);
    await recordAudit(tx, {
      action: 'clinic.policies',
      entity: 'clinic_settings',
      before: Object.fromEntries(keys.map((k) => [k, before[k]])),
      after: Object.fromEntries(keys.map((k) => [k, after[k]])),
    });
    return after;
  });
}
