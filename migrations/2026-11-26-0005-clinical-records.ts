import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TYPE assessment_kind AS ENUM ('initial', 'progress', 'reassessment', 'discharge');
    CREATE TABLE assessments (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer NOT NULL REFERENCES patients (id),
      therapist_id integer NOT NULL REFERENCES therapists (id),
      appointment_id integer REFERENCES appointments (id),
      kind assessment_kind NOT NULL,
      template_code text NOT NULL,
      data jsonb NOT NULL,
      scores jsonb NOT NULL DEFAULT '{}',
      summary text,
      recommendations text,
      next_review_on date,
      assessed_on date NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX assessments_patient_idx ON assessments (patient_id, assessed_on);
    CREATE TRIGGER assessments_updated_at BEFORE UPDATE ON assessments
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TYPE attendance AS ENUM ('present', 'late', 'left_early', 'absent');
    -- Therapy session notes, one per appointment.
    CREATE TABLE therapy_sessions (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      appointment_id integer NOT NULL UNIQUE REFERENCES appointments (id),
      patient_id integer NOT NULL REFERENCES patients (id),
      therapist_id integer NOT NULL REFERENCES therapists (id),
      objectives text,
      activities text,
      materials text,
      observations text,
      progress_notes text,
      homework text,
      next_plan text,
      attendance attendance NOT NULL DEFAULT 'present',
      patient_response text,
      rating smallint CHECK (rating BETWEEN 1 AND 5),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX therapy_sessions_patient_idx ON therapy_sessions (patient_id);
    CREATE TRIGGER therapy_sessions_updated_at BEFORE UPDATE ON therapy_sessions
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TYPE goal_status AS ENUM ('active', 'achieved', 'discontinued');
    CREATE TABLE goals (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer NOT NULL REFERENCES patients (id),
      therapist_id integer NOT NULL REFERENCES therapists (id),
      specialization_code text REFERENCES specializations (code),
      description text NOT NULL,
      unit text NOT NULL DEFAULT '%',
      baseline_value numeric(10, 2) NOT NULL,
      target_value numeric(10, 2) NOT NULL,
      status goal_status NOT NULL DEFAULT 'active',
      target_on date,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX goals_patient_idx ON goals (patient_id);
    CREATE TRIGGER goals_updated_at BEFORE UPDATE ON goals
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TABLE goal_measurements (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      goal_id integer NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
      therapy_session_id integer REFERENCES therapy_sessions (id),
      measured_on date NOT NULL,
      value numeric(10, 2) NOT NULL,
      note text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX goal_measurements_goal_idx ON goal_measurements (goal_id, measured_on);

    CREATE TYPE document_access AS ENUM ('patient', 'family', 'therapist', 'admin');
    -- Files are content-addressed by SHA-256; the original name is kept only as data, never used as a path.
    CREATE TABLE documents (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer NOT NULL REFERENCES patients (id),
      therapy_session_id integer REFERENCES therapy_sessions (id),
      doc_type text NOT NULL CHECK (doc_type IN
        ('report', 'prescription', 'assessment', 'consent_form', 'referral', 'invoice', 'media', 'other')),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      original_name text NOT NULL,
      mime_type text NOT NULL,
      size_bytes integer NOT NULL CHECK (size_bytes > 0),
      access_level document_access NOT NULL DEFAULT 'therapist',
      needs_review boolean NOT NULL DEFAULT false,
      uploaded_by_staff_id integer REFERENCES staff_users (id),
      uploaded_via text NOT NULL DEFAULT 'cli' CHECK (uploaded_via IN ('cli', 'telegram', 'whatsapp', 'terminal_chat')),
      removed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX documents_patient_idx ON documents (patient_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE documents, goal_measurements, goals, therapy_sessions, assessments;
    DROP TYPE document_access, goal_status, attendance, assessment_kind;
  `.execute(db);
}
