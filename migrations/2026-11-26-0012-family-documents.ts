import { sql, type Kysely } from 'kysely';

// Row security on documents agrees with the domain (src/domain/documents/access.ts): a patient's or
// guardian's session sees the documents shared with the family (access patient or family) and the
// files they sent through a chat themselves, never the clinic's clinical papers.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DROP POLICY document_access ON documents;
    DROP FUNCTION roshni_may_see_document(integer, document_access);
    CREATE FUNCTION roshni_may_see_document(patient integer, level document_access, from_chat boolean) RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT CASE public.roshni_actor_role()
        WHEN 'system' THEN true
        WHEN 'admin' THEN true
        WHEN 'therapist' THEN level <> 'admin' AND public.roshni_actor_treats(patient)
        WHEN 'receptionist' THEN level IN ('patient', 'family')
        WHEN 'patient' THEN (level IN ('patient', 'family') OR from_chat) AND patient = public.roshni_actor_id('roshni.patient_id')
        WHEN 'guardian' THEN (level IN ('patient', 'family') OR from_chat) AND EXISTS (
          SELECT 1 FROM public.patient_guardians pg
          WHERE pg.patient_id = patient AND pg.guardian_id = public.roshni_actor_id('roshni.guardian_id'))
        ELSE false
      END
    $$;
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli'))
      WITH CHECK (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP POLICY document_access ON documents;
    DROP FUNCTION roshni_may_see_document(integer, document_access, boolean);
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
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level)) WITH CHECK (roshni_may_see_document(patient_id, access_level));
  `.execute(db);
}
