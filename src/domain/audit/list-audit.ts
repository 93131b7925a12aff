import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput } from '../errors.js';
import { resolvePatientEvenIfErased } from '../people/resolve.js';
import { authorize } from '../policy.js';
import { addDays, isoDate, zonedInstant } from '../time.js';

const filtersSchema = z.object({
  patient: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.number().int().positive().max(10_000).default(200),
});

export type AuditFilters = z.input<typeof filtersSchema>;

export interface AuditLine {
  id: number;
  at: Date;
  actorKind: string;
  actorId: number | null;
  actorRole: string | null;
  actorUsername: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  patientId: number | null;
  outcome: string;
  before: unknown;
  after: unknown;
  meta: unknown;
}

/** The append-only audit log, newest first, by patient, by staff user and by clinic dates (inclusive). */
export async function listAudit(ctx: DomainContext, input: AuditFilters): Promise<AuditLine[]> {
  authorize(ctx.actor, 'audit.read');
  const filters = parseInput(filtersSchema, input);
  if (filters.from && filters.to && filters.from > filters.to) throw new InvalidInputError('--from must not be after --to.');
  let query = ctx.db
    .selectFrom('audit_log as a')
    .leftJoin('staff_users as u', (join) => join.onRef('u.id', '=', 'a.actor_id').on('a.actor_kind', '=', 'staff'))
    .select([
      'a.id',
      'a.at',
      'a.actor_kind',
      'a.actor_id',
      'a.actor_role',
      'u.username',
      'a.action',
      'a.entity',
      'a.entity_id',
      'a.patient_id',
      'a.outcome',
      'a.before',
      'a.after',
      'a.meta',
    ]);
  if (filters.patient) {
    // An erased patient's entries (the erasure among them) are still found by their P-number.
    const patient = await resolvePatientEvenIfErased(ctx, filters.patient);
    query = query.where((eb) =>
      eb.or([eb('a.patient_id', '=', patient.id), eb.and([eb('a.entity', '=', 'patient'), eb('a.entity_id', '=', String(patient.id))])]),
    );
  }
  if (filters.user) {
    const user = await ctx.db.selectFrom('staff_users').select('id').where('username', '=', filters.user).executeTakeFirst();
    if (!user) throw new NotFoundError(`No staff user is called "${filters.user}".`);
    query = query.where('a.actor_kind', '=', 'staff').where('a.actor_id', '=', user.id);
  }
  if (filters.from) query = query.where('a.at', '>=', zonedInstant(filters.from, '00:00', ctx.timezone));
  if (filters.to) query = query.where('a.at', '<', zonedInstant(addDays(filters.to, 1), '00:00', ctx.timezone));
  const rows = await query.orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(filters.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorRole: r.actor_role,
    actorUsername: r.username ?? null,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    patientId: r.patient_id,
    outcome: r.outcome,
    before: r.before,
    after: r.after,
    meta: r.meta,
  }));
}
