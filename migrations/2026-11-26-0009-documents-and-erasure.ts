import { sql, type Kysely } from 'kysely';

// Documents (#8): a removal says why and by whom; the live rows of one content are found by its hash.
// Patients' data rights (DPDP Act 2023): erasing a patient may rewrite the before/after/meta of the
// audit entries about that patient (to take out personal data), and nothing else of the audit log.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE documents
      ADD COLUMN removed_reason text,
      ADD COLUMN removed_by_staff_id integer REFERENCES staff_users (id),
      ADD CONSTRAINT documents_removed_with_reason
        CHECK ((removed_at IS NULL) = (removed_reason IS NULL) AND (removed_reason IS NULL OR length(trim(removed_reason)) > 0));
    CREATE INDEX documents_sha256_idx ON documents (sha256) WHERE removed_at IS NULL;

    -- Still append-only: no DELETE, no TRUNCATE, and no UPDATE, except, inside a transaction that
    -- set roshni.erasing_patient to a patient's id (erasure), rewriting the JSON of that patient's entries.
    CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
         AND OLD.patient_id IS NOT NULL
         AND current_setting('roshni.erasing_patient', true) = OLD.patient_id::text
         AND (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.actor_role, NEW.action, NEW.entity, NEW.entity_id,
              NEW.patient_id, NEW.outcome)
             IS NOT DISTINCT FROM
             (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.actor_role, OLD.action, OLD.entity, OLD.entity_id,
              OLD.patient_id, OLD.outcome) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    DROP INDEX documents_sha256_idx;
    ALTER TABLE documents DROP CONSTRAINT documents_removed_with_reason,
      DROP COLUMN removed_by_staff_id, DROP COLUMN removed_reason;
  `.execute(db);
}
