import { z } from 'zod';
import { authorize } from '../policy.js';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { NotFoundError, parseInput } from '../errors.js';
import { phoneNumber } from '../people/phone.js';
import { timeZoneName } from '../time.js';
import { announcePayeeChange, payeeAudit } from './payee-change.js';

export const clinicSettingsInput = z.object({
  name: z.string().trim().min(2, 'must be at least 2 characters').max(120),
  phone: phoneNumber.optional(),
  email: z.email('must be an email address').optional(),
  address: z.string().trim().max(500).optional(),
  timezone: timeZoneName.optional(),
  upiVpa: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{2,255}@[A-Za-z][A-Za-z0-9.-]{1,63}$/, 'must be a UPI id such as clinic@okicici')
    .optional(),
  upiPayeeName: z.string().trim().min(2).max(100).optional(),
  gstin: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[0-9]{2}[A-Z0-9]{10}[0-9A-Z]Z[0-9A-Z]$/, 'must be a 15-character GSTIN')
    .optional(),
  receiptPrefix: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9-]{1,12}$/, 'must be 1–12 letters, digits or dashes')
    .optional(),
});
export type ClinicSettingsInput = z.input<typeof clinicSettingsInput>;

export async function getClinicSettings(ctx: DomainContext) {
  return ctx.db.selectFrom('clinic_settings').selectAll().executeTakeFirst();
}

export async function requireClinicSettings(ctx: DomainContext) {
  const settings = await getClinicSettings(ctx);
  if (!settings) throw new NotFoundError('The clinic is not set up yet. Run `roshni init` first.');
  return settings;
}

/** Creates the clinic's settings or updates the given fields; a new payee is audited and announced to the admins. */
export async function saveClinicSettings(ctx: DomainContext, raw: ClinicSettingsInput) {
  authorize(ctx.actor, 'clinic.configure');
  const input = parseInput(clinicSettingsInput, raw);
  const values = {
    name: input.name,
    phone: input.phone,
    email: input.email,
    address: input.address,
    timezone: input.timezone ?? ctx.timezone,
    upi_vpa: input.upiVpa,
    upi_payee_name: input.upiPayeeName,
    gstin: input.gstin,
    receipt_prefix: input.receiptPrefix,
  };
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as typeof values;
  return inTransaction(ctx, async (tx) => {
    const before = await getClinicSettings(tx);
    const saved = await tx.db
      .insertInto('clinic_settings')
      .values({ id: true, ...defined })
      .onConflict((oc) => oc.column('id').doUpdateSet(defined))
      .returningAll()
      .executeTakeFirstOrThrow();
    // Where the money goes is kept before and after (the clinic's own details, no patient's).
    const fields = Object.keys(defined);
    const payeeBefore = payeeAudit(before, fields);
    const audited = Object.keys(payeeBefore).length > 0;
    const entry = await recordAudit(tx, {
      action: before ? 'clinic.update' : 'clinic.create',
      entity: 'clinic_settings',
      ...(audited ? { before: before ? payeeBefore : null, after: payeeAudit(saved, fields) } : {}),
      meta: { fields },
    });
    if (before) await announcePayeeChange(tx, before, saved, entry.id);
    return saved;
  });
}
