import { sql } from 'kysely';
import { inTransaction, type DomainContext } from '../context.js';
import { ForbiddenError, InvalidInputError } from '../errors.js';
import { requireStaffUserByUsername } from '../people/staff.js';

// Staff sessions as the database keeps them (migration 0017): an admin sees and ends everyone's, a member
// of staff sees their own. Tokens never leave the database; sessions are known by number.

export interface StaffSessionRow {
  id: number;
  username: string;
  role: string;
  machine: string;
  startedAt: Date;
  lastSeenAt: Date;
  idleUntil: Date;
  current: boolean;
}

export async function listStaffSessions(ctx: DomainContext): Promise<StaffSessionRow[]> {
  if (ctx.actor.kind !== 'staff') throw new ForbiddenError('Sign in first (roshni login).');
  return inTransaction(ctx, async (tx) => {
    const { rows } = await sql<StaffSessionRow>`
      SELECT s.id, u.username, u.role::text AS role, s.machine, s.started_at AS "startedAt",
             s.last_seen_at AS "lastSeenAt", s.idle_until AS "idleUntil", s.current
      FROM roshni_auth.list_sessions() s JOIN staff_users u ON u.id = s.staff_user_id`.execute(tx.db);
    return rows;
  });
}

/** An admin ends one session (by number) or every session of one member of staff. How many ended. */
export async function revokeStaffSessions(ctx: DomainContext, target: { sessionId?: number; username?: string }): Promise<number> {
  if (ctx.actor.kind !== 'staff' || ctx.actor.role !== 'admin') {
    throw new ForbiddenError("Only an admin may end other people's sessions.", { action: 'staff.manage' });
  }
  if ((target.sessionId === undefined) === (target.username === undefined)) {
    throw new InvalidInputError('Give either a session number or a username.');
  }
  const member = target.username === undefined ? null : (await requireStaffUserByUsername(ctx, target.username)).id;
  return inTransaction(ctx, async (tx) => {
    const { rows } = await sql<{ ended: number | null }>`
      SELECT roshni_auth.revoke_sessions(${target.sessionId ?? null}, ${member}) AS ended`.execute(tx.db);
    const ended = rows[0]!.ended;
    if (ended === null) throw new ForbiddenError("Only an admin may end other people's sessions.", { action: 'staff.manage' });
    return ended;
  });
}
