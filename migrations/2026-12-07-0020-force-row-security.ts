import { sql, type Kysely } from 'kysely';

// The clinical tables' row security binds their owner too (FORCE ROW LEVEL SECURITY). The owner reads and
// writes those rows only "at work": with roshni.maintenance = on, which Roshni sets for what is the
// owner's to do (backups, restores and their checks, and the three SECURITY DEFINER functions that answer
// whose record an id names), and which a data migration that touches clinical rows sets for itself. The
// setting opens nothing to anyone else: the policy also asks that the current user be the tables'
// owner, which a desk login or roshni start cannot become. A superuser (the embedded database's only
// user, and the tests' server) bypasses row security whatever the tables say.

const PROTECTED = ['therapy_sessions', 'assessments', 'goals', 'goal_measurements', 'documents'] as const;
// The functions that tell the domain whose record an id names (never its text) read as the owner, at work
// for that one query. (A function's own SET clause would be neater; PostgreSQL 15 allows it on a custom
// setting to superusers only, and a managed server's owner is none.)
const atWork = (query: string) => `
    DECLARE was text := current_setting('roshni.maintenance', true);
    BEGIN
      PERFORM set_config('roshni.maintenance', 'on', true);
      ${query}
      PERFORM set_config('roshni.maintenance', coalesce(was, ''), true);
    END`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION public.roshni_owner_at_work() RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
      SELECT coalesce(current_setting('roshni.maintenance', true), '') = 'on'
         AND current_user = (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = 'public.therapy_sessions'::regclass)
    $$;
  `.execute(db);
  for (const table of PROTECTED) {
    await sql`
      CREATE POLICY owner_at_work ON ${sql.table(table)}
        USING ((SELECT public.roshni_owner_at_work())) WITH CHECK ((SELECT public.roshni_owner_at_work()));
      ALTER TABLE ${sql.table(table)} FORCE ROW LEVEL SECURITY;
    `.execute(db);
  }
  await sql
    .raw(
      `
    CREATE OR REPLACE FUNCTION public.roshni_locate_clinical(kind text, key integer)
      RETURNS TABLE (id integer, patient_id integer, therapist_id integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$${atWork(`
      CASE kind
        WHEN 'therapy_session' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.therapy_sessions r WHERE r.id = key;
        WHEN 'therapy_session_of_appointment' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.therapy_sessions r WHERE r.appointment_id = key;
        WHEN 'assessment' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.assessments r WHERE r.id = key;
        WHEN 'goal' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.goals r WHERE r.id = key;
        ELSE
          RAISE EXCEPTION 'roshni_locate_clinical: unknown kind %', kind;
      END CASE;`)}$fn$;
    CREATE OR REPLACE FUNCTION public.roshni_document_facts(key integer)
      RETURNS TABLE (id integer, patient_id integer, access_level document_access, sha256 text,
                     removed_at timestamptz, removed_reason text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$${atWork(`
      RETURN QUERY SELECT d.id, d.patient_id, d.access_level, d.sha256, d.removed_at, d.removed_reason FROM public.documents d WHERE d.id = key;`)}$fn$;
    CREATE OR REPLACE FUNCTION public.roshni_content_in_use(content text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    DECLARE was text := current_setting('roshni.maintenance', true); in_use boolean;
    BEGIN
      PERFORM set_config('roshni.maintenance', 'on', true);
      in_use := EXISTS (SELECT 1 FROM public.documents d WHERE d.sha256 = content AND d.removed_at IS NULL);
      PERFORM set_config('roshni.maintenance', coalesce(was, ''), true);
      RETURN in_use;
    END $fn$;
  `,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of PROTECTED) {
    await sql`
      ALTER TABLE ${sql.table(table)} NO FORCE ROW LEVEL SECURITY;
      DROP POLICY owner_at_work ON ${sql.table(table)};
    `.execute(db);
  }
  await sql`DROP FUNCTION public.roshni_owner_at_work()`.execute(db);
}
