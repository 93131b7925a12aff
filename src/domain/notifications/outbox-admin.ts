import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { NotFoundError, parseInput } from '../errors.js';
import { authorize } from '../policy.js';

// What staff see of the outbox: ids, kinds, states and errors; never an address or a message body.

const listInput = z.object({
  state: z.enum(['pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled']).optional(),
  limit: z.number().int().positive().max(1000).default(50),
});

export async function listNotifications(ctx: DomainContext, raw: z.input<typeof listInput>) {
  authorize(ctx.actor, 'notification.read');
  const input = parseInput(listInput, raw);
  let query = ctx.db
    .selectFrom('notifications as n')
    .leftJoin('appointments as a', 'a.id', 'n.appointment_id')
    .leftJoin('patients as about', 'about.id', 'n.about_patient_id')
    .leftJoin('patient_guardians as link', (join) => join.onRef('link.patient_id', '=', 'n.about_patient_id').onRef('link.guardian_id', '=', 'n.guardian_id'))
    .leftJoin('staff_users as u', 'u.id', 'n.staff_user_id')
    .select([
      'n.id',
      'n.kind',
      'n.state',
      'n.channel',
      'n.patient_id',
      'n.guardian_id',
      'n.staff_user_id',
      'n.due_at',
      'n.attempts',
      'n.next_attempt_at',
      'n.last_error',
      'n.sent_at',
      'a.appointment_number',
      // Whom it is about (a P-number) and who hears it, in words: ids and roles only, never a name or a number.
      'about.patient_number as about_patient_number',
      'link.relationship as guardian_relationship',
      'u.username as staff_username',
    ])
    .orderBy('n.due_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(input.limit);
  if (input.state) query = query.where('n.state', '=', input.state);
  return query.execute();
}

const retryInput = z.object({ id: z.number().int().positive().optional(), allFailed: z.boolean().default(false) });

/** Puts failed messages back in the queue, due now, with a fresh count of attempts. */
export async function retryNotifications(ctx: DomainContext, raw: z.input<typeof retryInput>): Promise<number[]> {
  authorize(ctx.actor, 'notification.manage');
  const input = parseInput(retryInput, raw);
  return inTransaction(ctx, async (tx) => {
    let query = tx.db
      .updateTable('notifications')
      .set({ state: 'pending', attempts: 0, next_attempt_at: tx.clock.now(), claimed_by: null, claimed_until: null })
      .where('state', '=', 'failed');
    if (!input.allFailed) query = query.where('id', '=', input.id ?? 0);
    const rows = await query.returning('id').execute();
    if (!input.allFailed && !rows.length) throw new NotFoundError(`No failed notification ${input.id}.`);
    for (const row of rows) {
      await recordAudit(tx, { action: 'notification.retry', entity: 'notification', entityId: row.id });
    }
    return rows.map((r) => r.id);
  });
}
