import { sql, type Kysely } from 'kysely';

// Row security on documents agrees with the domain (src/domain/documents/access.ts): a patient's or
// guardian's session sees the documents shared with the family (access patient or family) and the
// files they sent through a chat themselves, never the clinic's clinical papers. The rule of 0010
// (roshni_may_see_document(patient, level)) stands; this narrows it for patients and guardians.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION roshni_may_see_document(patient integer, level document_access, from_chat boolean) RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT public.roshni_may_see_document(patient, level)
        AND (public.roshni_actor_role() NOT IN ('patient', 'guardian') OR level IN ('patient', 'family') OR from_chat)
    $$;
    DROP POLICY document_access ON documents;
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli'))
      WITH CHECK (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP POLICY document_access ON documents;
    DROP FUNCTION roshni_may_see_document(integer, document_access, boolean);
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level)) WITH CHECK (roshni_may_see_document(patient_id, access_level));
  `.execute(db);
}
