import { sql, type Kysely } from 'kysely';

// Defence in depth under the domain's policy (src/domain/policy.ts, clinical/access.ts, documents/access.ts):
//
// 1. Row Level Security on the clinical tables. Each domain transaction says who is acting, in
//    transaction-local settings (src/infra/db/row-security.ts): roshni.actor_role (admin, receptionist,
//    therapist, system, patient, guardian) and roshni.staff_id / roshni.patient_id / roshni.guardian_id.
//    A session that says nothing sees no clinical row at all.
// 2. roshni_app, a NOLOGIN role the application steps down to (SET ROLE) after connecting. It may
//    read and write every table but never DELETE or TRUNCATE the audit log, nor UPDATE it beyond the
//    JSON columns an erasure rewrites (see below). Not being the tables' owner, it is subject to the
//    policies; the owner (migrations, pg_dump, restore) is not: RLS is enabled, not forced.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION roshni_actor_role() RETURNS text LANGUAGE sql STABLE AS $$
      SELECT nullif(current_setting('roshni.actor_role', true), '')
    $$;
    CREATE FUNCTION roshni_actor_id(setting text) RETURNS integer LANGUAGE sql STABLE AS $$
      SELECT nullif(current_setting(setting, true), '')::integer
    $$;

    -- A therapist's own patients: those they have (had) an appointment with.
    CREATE FUNCTION roshni_actor_treats(patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.appointments a JOIN public.therapists t ON t.id = a.therapist_id
        WHERE a.patient_id = patient AND t.staff_user_id = public.roshni_actor_id('roshni.staff_id'))
    $$;

    -- Session notes, assessments, goals: admins and the system all; a therapist their own patients'.
    CREATE FUNCTION roshni_may_see_clinical(patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT CASE public.roshni_actor_role()
        WHEN 'system' THEN true
        WHEN 'admin' THEN true
        WHEN 'therapist' THEN public.roshni_actor_treats(patient)
        ELSE false
      END
    $$;

    -- Documents by access level (src/domain/documents/access.ts); a patient or guardian their own.
    CREATE FUNCTION roshni_may_see_document(patient integer, level document_access) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT CASE public.roshni_actor_role()
        WHEN 'system' THEN true
        WHEN 'admin' THEN true
        WHEN 'therapist' THEN level <> 'admin' AND public.roshni_actor_treats(patient)
        WHEN 'receptionist' THEN level IN ('patient', 'family')
        WHEN 'patient' THEN patient = public.roshni_actor_id('roshni.patient_id')
        WHEN 'guardian' THEN EXISTS (
          SELECT 1 FROM public.patient_guardians pg
          WHERE pg.patient_id = patient AND pg.guardian_id = public.roshni_actor_id('roshni.guardian_id'))
        ELSE false
      END
    $$;

    ALTER TABLE therapy_sessions ENABLE ROW LEVEL SECURITY;
    CREATE POLICY clinical_access ON therapy_sessions
      USING (roshni_may_see_clinical(patient_id)) WITH CHECK (roshni_may_see_clinical(patient_id));
    ALTER TABLE assessments ENABLE ROW LEVEL SECURITY;
    CREATE POLICY clinical_access ON assessments
      USING (roshni_may_see_clinical(patient_id)) WITH CHECK (roshni_may_see_clinical(patient_id));
    ALTER TABLE goals ENABLE ROW LEVEL SECURITY;
    CREATE POLICY clinical_access ON goals
      USING (roshni_may_see_clinical(patient_id)) WITH CHECK (roshni_may_see_clinical(patient_id));
    -- A measurement is visible with its goal (the goals policy applies inside the subquery).
    ALTER TABLE goal_measurements ENABLE ROW LEVEL SECURITY;
    CREATE POLICY clinical_access ON goal_measurements
      USING (EXISTS (SELECT 1 FROM goals g WHERE g.id = goal_id))
      WITH CHECK (EXISTS (SELECT 1 FROM goals g WHERE g.id = goal_id));
    ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level)) WITH CHECK (roshni_may_see_document(patient_id, access_level));

    -- Creates roshni_app when it may (a superuser or CREATEROLE; otherwise Roshni runs as the
    -- connecting user, with the domain's checks and the audit trigger only) and gives it its grants.
    -- Run again after migrations and restores (which bring no privileges): tables added later get theirs.
    CREATE FUNCTION roshni_grant_app_role() RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_app') THEN
        BEGIN
          CREATE ROLE roshni_app NOLOGIN;
        EXCEPTION
          WHEN duplicate_object OR unique_violation THEN NULL; -- another database's migration, at the same moment
          WHEN insufficient_privilege THEN RETURN false;
        END;
      END IF;
      -- The connecting user steps down to roshni_app, so it must be allowed to SET ROLE to it.
      IF pg_catalog.current_setting('server_version_num')::integer >= 160000 THEN
        IF NOT pg_catalog.pg_has_role(current_user, 'roshni_app', 'SET') THEN
          EXECUTE format('GRANT roshni_app TO %I WITH SET TRUE', current_user);
        END IF;
      ELSIF NOT pg_catalog.pg_has_role(current_user, 'roshni_app', 'MEMBER') THEN
        EXECUTE format('GRANT roshni_app TO %I', current_user);
      END IF;
      GRANT USAGE ON SCHEMA public TO roshni_app;
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO roshni_app;
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO roshni_app;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO roshni_app;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO roshni_app;
      -- Append-only for the application: adding to the audit log, never changing or removing it; the
      -- one exception is the JSON of an erased patient's entries (DPDP erasure, 0009), which the audit
      -- trigger further limits to the patient a transaction is erasing.
      REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_log FROM roshni_app;
      GRANT UPDATE (before, after, meta) ON public.audit_log TO roshni_app;
      -- Only the owner migrates.
      REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.kysely_migration, public.kysely_migration_lock FROM roshni_app;
      RETURN true;
    END $$;
    SELECT roshni_grant_app_role();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_app') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM roshni_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM roshni_app;
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM roshni_app;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM roshni_app;
        REVOKE ALL ON SCHEMA public FROM roshni_app;
      END IF;
    END $$;
    DROP FUNCTION roshni_grant_app_role();
    DROP POLICY document_access ON documents;
    DROP POLICY clinical_access ON goal_measurements;
    DROP POLICY clinical_access ON goals;
    DROP POLICY clinical_access ON assessments;
    DROP POLICY clinical_access ON therapy_sessions;
    ALTER TABLE documents DISABLE ROW LEVEL SECURITY;
    ALTER TABLE goal_measurements DISABLE ROW LEVEL SECURITY;
    ALTER TABLE goals DISABLE ROW LEVEL SECURITY;
    ALTER TABLE assessments DISABLE ROW LEVEL SECURITY;
    ALTER TABLE therapy_sessions DISABLE ROW LEVEL SECURITY;
    DROP FUNCTION roshni_may_see_document(integer, document_access);
    DROP FUNCTION roshni_may_see_clinical(integer);
    DROP FUNCTION roshni_actor_treats(integer);
    DROP FUNCTION roshni_actor_id(text);
    DROP FUNCTION roshni_actor_role();
  `.execute(db);
}
