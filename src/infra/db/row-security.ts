import { sql, type Kysely } from 'kysely';

// The database's side of the access rules (migration 0010): the application works as roshni_app,
// which is not the owner of the tables, and each transaction tells the database who is acting, for
// the Row Level Security policies on the clinical tables. A session that declares no one sees none
// of those rows. The owner (migrations, backups, restores) is not subject to the policies.

export const APP_ROLE = 'roshni_app';

export type DatabaseActorRole = 'admin' | 'receptionist' | 'therapist' | 'system' | 'patient' | 'guardian';

export interface DatabaseActor {
  role: DatabaseActorRole;
  staffId?: number | null;
  patientId?: number | null;
  guardianId?: number | null;
}

const id = (value: number | null | undefined) => (value == null ? '' : String(value));

/** Declares who acts for the rest of the current transaction (transaction-local settings). */
export async function declareActor(db: Kysely<any>, actor: DatabaseActor): Promise<void> {
  await sql`SELECT set_config('roshni.actor_role', ${actor.role}, true),
                   set_config('roshni.staff_id', ${id(actor.staffId)}, true),
                   set_config('roshni.patient_id', ${id(actor.patientId)}, true),
                   set_config('roshni.guardian_id', ${id(actor.guardianId)}, true)`.execute(db);
}

/**
 * Steps the session down to roshni_app when the role exists and the connecting user may assume it;
 * otherwise the session stays as it is (the role could not be created: the domain's checks and the
 * audit trigger remain).
 */
export const ASSUME_APP_ROLE = `DO $roshni$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '${APP_ROLE}') THEN
    BEGIN
      SET ROLE ${APP_ROLE};
    EXCEPTION WHEN insufficient_privilege OR invalid_parameter_value THEN NULL;
    END;
  END IF;
END $roshni$`;

/** Gives roshni_app its grants again (after migrations add tables); a no-op before migration 0010. */
export async function grantAppRole(db: Kysely<any>): Promise<void> {
  await sql`DO $roshni$ BEGIN
    IF to_regprocedure('public.roshni_grant_app_role()') IS NOT NULL THEN PERFORM public.roshni_grant_app_role(); END IF;
  END $roshni$`.execute(db);
}

/** The role the session's statements run as (roshni_app, or the connecting user). */
export async function currentRole(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(db);
  return rows[0]!.role;
}
