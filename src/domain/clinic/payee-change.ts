import type { DomainContext } from '../context.js';
import { alertAdmins } from '../notifications/admin-alerts.js';

// Where patients' money goes: the UPI id and payee name in the clinic settings (Razorpay's keys come only
// from the environment, never from the settings). A change is the clinic's own data, not a patient's, so
// the audit keeps it before and after; and every active admin hears of it, in case it was not one of them.

export const PAYEE_FIELDS = { upi_vpa: 'upiVpa', upi_payee_name: 'upiPayeeName' } as const;
type PayeeColumn = keyof typeof PAYEE_FIELDS;
export type Payee = Record<PayeeColumn, string | null>;

/** The payee fields among those being saved, as the audit names them, from a settings row. */
export function payeeAudit(row: Payee | undefined, saved: readonly string[]): Record<string, string | null> {
  const columns = (Object.keys(PAYEE_FIELDS) as PayeeColumn[]).filter((c) => saved.includes(c));
  return Object.fromEntries(columns.map((c) => [PAYEE_FIELDS[c], row?.[c] ?? null]));
}

const describe = (value: string | null) => value ?? '(none)';

/** Tells every active admin that the payee changed (once per audit entry); nothing when it did not. */
export async function announcePayeeChange(tx: DomainContext, before: Payee, after: Payee, auditId: number): Promise<number> {
  const changed = (Object.keys(PAYEE_FIELDS) as PayeeColumn[]).filter((c) => before[c] !== after[c]);
  if (!changed.length) return 0;
  const by = tx.actor.kind === 'staff' ? `staff user #${tx.actor.staffUserId} (${tx.actor.role})` : tx.actor.kind;
  const what = changed.map((c) => `${c === 'upi_vpa' ? 'UPI id' : 'UPI payee name'} ${describe(before[c])} → ${describe(after[c])}`);
  const text = `Where patients' payments go was changed by ${by}: ${what.join('; ')}. If no admin meant this, change it back with \`roshni init\` and see \`roshni audit\`.`;
  return alertAdmins(tx, `clinic-payee:${auditId}`, { about: 'payee_changed', auditId, text }, tx.clock.now());
}
