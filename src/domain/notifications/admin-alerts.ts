import type { DomainContext } from '../context.js';
import { enqueueNotification } from './enqueue.js';

/**
 * One admin_alert to each active admin through the outbox, once per key (the admin's id is added to
 * it). `text` is what the message says: no personal data. Returns how many were written.
 */
export async function alertAdmins(
  ctx: DomainContext,
  key: string,
  payload: { about: string; text: string } & Record<string, unknown>,
  at: Date,
): Promise<number> {
  const admins = await ctx.db.selectFrom('staff_users').select('id').where('role', '=', 'admin').where('active', '=', true).orderBy('id').execute();
  let written = 0;
  for (const admin of admins) {
    const row = await enqueueNotification(ctx, {
      kind: 'admin_alert',
      idempotencyKey: `${key}:${admin.id}`,
      recipient: { staffUserId: admin.id },
      dueAt: at,
      payload,
    });
    if (row) written += 1;
  }
  return written;
}
