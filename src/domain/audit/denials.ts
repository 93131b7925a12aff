import type { DomainContext } from '../context.js';
import { isDomainError } from '../errors.js';
import { denialsRecorded, recordAudit } from './record-audit.js';

// "Denied actions are clear errors and are audited." Some refusals are audited where they happen,
// with what was asked for (clinical records, documents); every other one is audited by the door
// that ran the action (the CLI's session), after the action's transaction has rolled back, so
// that the entry survives the error.

/** Runs `work`, and audits a refusal it ends with unless one was already written for it. */
export async function auditingDenials<T>(ctx: DomainContext, work: () => Promise<T>, meta: Record<string, unknown> = {}): Promise<T> {
  if (ctx.db.isTransaction) throw new Error('auditingDenials() wraps whole actions, outside their transactions');
  const before = denialsRecorded(ctx);
  try {
    return await work();
  } catch (error) {
    if (isDomainError(error) && error.kind === 'forbidden' && denialsRecorded(ctx) === before) {
      const action = typeof error.details?.action === 'string' ? error.details.action : 'unknown';
      // The refusal is the news; failing to record it must not hide it.
      await recordAudit(ctx, { action, entity: 'policy', outcome: 'denied', meta }).catch(() => {});
    }
    throw error;
  }
}
