import { sql, type Kysely } from 'kysely';

// The database's side of the access rules (migrations 0010 and 0017): the CLI works as roshni_staff and
// `roshni start` as roshni_service, neither of them the tables' owner, and each transaction tells the
// database who is acting, for the Row Level Security policies on the clinical tables. A session that
// proves no one sees none of those rows. The owner (migrations, backups, restores) is not subject to them.

export const APP_ROLE = 'roshni_app';

export type DatabaseActorRole = 'admin' | 'receptionist' | 'therapist' | 'system' | 'patient' | 'guardian';

export interface DatabaseActor {
  role: DatabaseActorRole;
  /** A member of staff's session token: the only way the policies learn who a member of staff is. */
  session?: string | null;
  patientId?: number | null;
  guardianId?: number | null;
}

const id = (value: number | null | undefined) => (value == null ? '' : String(value));

/**
 * Declares who acts for the rest of the current transaction (transaction-local settings). The policies
 * believe a staff member only through a live session's token, and a patient, a guardian or the system
 * only from roshni_service (`roshni start`): see roshni_current_actor() in migration 0017.
 */
export async function declareActor(db: Kysely<any>, actor: DatabaseActor): Promise<void> {
  await sql`SELECT set_config('roshni.actor_role', ${actor.role}, true),
                   set_config('roshni.session', ${actor.session ?? ''}, true),
                   set_config('roshni.patient_id', ${id(actor.patientId)}, true),
                   set_config('roshni.guardian_id', ${id(actor.guardianId)}, true)`.execute(db);
}

/**
 * The tables' owner reads and writes the clinical tables' rows only with this setting on (migration 0020:
 * FORCE ROW LEVEL SECURITY): for backups, restores and their checks. It opens nothing to any other user.
 */
export const OWNER_AT_WORK_OPTIONS = '-c roshni.maintenance=on';

export async function ownerAtWork(db: Kysely<any>): Promise<void> {
  await sql`SELECT set_config('roshni.maintenance', 'on', true)`.execute(db);
}

/** Desk computers: the application's grants; who acts comes only from a signed-in session. */
export const STAFF_ROLE = 'roshni_staff';
/** `roshni start`, `serve` and the bots: every table but the clinical records. */
export const SERVICE_ROLE = 'roshni_service';

/**
 * Steps the session down to a role when it exists and the connecting user may assume it; otherwise the
 * session stays as it is (the role could not be created: the domain's checks and the audit trigger remain).
 * Plain SQL, not a DO block: a DO block loads PL/pgSQL into every new connection, which was about a
 * tenth of what a command like `roshni today` waits for, and every command's first statement is this one.
 */
export function assumeRoleStatement(role: string): string {
  if (!/^[a-z_]+$/.test(role)) throw new Error(`Not a role name: ${role}`);
  return `SELECT pg_catalog.set_config('role', '${role}', false) WHERE pg_catalog.pg_has_role(pg_catalog.to_regrole('${role}'), 'MEMBER')`;
}

/**
 * Gives the application's roles their grants again (after migrations add tables, and after restores):
 * roshni_app from migration 0010, roshni_staff and roshni_service from 0017; a no-op before them.
 */
export async function grantAppRole(db: Kysely<any>): Promise<void> {
  await sql`DO $roshni$ BEGIN
    IF to_regprocedure('public.roshni_grant_app_role()') IS NOT NULL THEN PERFORM public.roshni_grant_app_role(); END IF;
    IF to_regprocedure('roshni_auth.grant_roles()') IS NOT NULL THEN PERFORM roshni_auth.grant_roles(); END IF;
  END $roshni$`.execute(db);
}

/** The role the session's statements run as (roshni_app, or the connecting user). */
export async function currentRole(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(db);
  return rows[0]!.role;
}
