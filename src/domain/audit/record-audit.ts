import { onBehalfOf, recordedStaff } from '../actor.js';
import type { DomainContext } from '../context.js';

export interface AuditEntry {
  action: string;
  entity: string;
  entityId?: string | number | null;
  patientId?: number | null;
  /** Only ids, states and amounts: never names, phone numbers or note text. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  meta?: Record<string, unknown> | null;
  outcome?: 'ok' | 'denied';
}

function actorColumns(ctx: DomainContext) {
  const { actor } = ctx;
  // The desk acting for a family (`roshni chat --as`) is recorded as the member of staff; onBehalfOf names the family.
  const operator = recordedStaff(actor);
  if (operator) return { actor_kind: 'staff', actor_id: operator.staffUserId, actor_role: operator.role };
  switch (actor.kind) {
    case 'staff':
      return { actor_kind: 'staff', actor_id: actor.staffUserId, actor_role: actor.role };
    case 'patient':
      return { actor_kind: 'patient', actor_id: actor.patientId, actor_role: 'patient' };
    case 'guardian':
      return { actor_kind: 'guardian', actor_id: actor.guardianId, actor_role: 'guardian' };
    case 'system':
      return { actor_kind: 'system', actor_id: null, actor_role: 'system' };
  }
}

/** The audit row for an entry, for callers that write it in the same statement as the change. */
export function auditRow(ctx: DomainContext, entry: AuditEntry) {
  const family = onBehalfOf(ctx.actor);
  const meta = family ? { ...entry.meta, ...family } : entry.meta;
  return {
    ...actorColumns(ctx),
    at: ctx.clock.now(),
    action: entry.action,
    entity: entry.entity,
    entity_id: entry.entityId == null ? null : String(entry.entityId),
    patient_id: entry.patientId ?? null,
    outcome: entry.outcome ?? 'ok',
    before: entry.before ? JSON.stringify(entry.before) : null,
    after: entry.after ? JSON.stringify(entry.after) : null,
    meta: meta ? JSON.stringify(meta) : null,
  };
}

/** How many refusals each database handle has written (see denials.ts: a refusal is audited once). */
const denialsWritten = new WeakMap<object, number>();

export function denialsRecorded(ctx: DomainContext): number {
  return denialsWritten.get(ctx.db) ?? 0;
}

/** Appends to the audit log, inside the caller's transaction so the entry and the change land together; the entry's id. */
export async function recordAudit(ctx: DomainContext, entry: AuditEntry): Promise<{ id: number }> {
  const row = await ctx.db.insertInto('audit_log').values(auditRow(ctx, entry)).returning('id').executeTakeFirstOrThrow();
  if (entry.outcome === 'denied') denialsWritten.set(ctx.db, denialsRecorded(ctx) + 1);
  return { id: Number(row.id) };
}
