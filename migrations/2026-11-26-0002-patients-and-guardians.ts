import { sql, type Kysely } from 'kysely';

// Adult patients may be contacted directly; children are reached through their guardians.
// Both carry the same contact channels, so the messaging layer can address either.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TYPE contact_language AS ENUM ('en', 'hi');
    CREATE TYPE contact_channel AS ENUM ('whatsapp', 'telegram', 'sms', 'email');

    CREATE SEQUENCE patient_number_seq;

    CREATE TABLE patients (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_number text NOT NULL UNIQUE
        DEFAULT padded_number('P-', nextval('patient_number_seq'), 5),
      full_name text NOT NULL CHECK (length(trim(full_name)) > 0),
      date_of_birth date,
      gender text CHECK (gender IN ('female', 'male', 'other')),
      phone text CHECK (phone ~ '^\\+[1-9][0-9]{7,14}$'),
      email text,
      telegram_chat_id text UNIQUE,
      whatsapp_id text UNIQUE,
      preferred_language contact_language NOT NULL DEFAULT 'en',
      preferred_channel contact_channel,
      reminders_opted_out_at timestamptz,
      erased_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX patients_phone_idx ON patients (phone);
    CREATE INDEX patients_name_idx ON patients (lower(full_name));
    CREATE TRIGGER patients_updated_at BEFORE UPDATE ON patients
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TABLE guardians (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      full_name text NOT NULL CHECK (length(trim(full_name)) > 0),
      phone text UNIQUE CHECK (phone ~ '^\\+[1-9][0-9]{7,14}$'),
      email text,
      telegram_chat_id text UNIQUE,
      whatsapp_id text UNIQUE,
      preferred_language contact_language NOT NULL DEFAULT 'en',
      preferred_channel contact_channel,
      reminders_opted_out_at timestamptz,
      erased_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TRIGGER guardians_updated_at BEFORE UPDATE ON guardians
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TABLE patient_guardians (
      patient_id integer NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
      guardian_id integer NOT NULL REFERENCES guardians (id) ON DELETE CASCADE,
      relationship text NOT NULL DEFAULT 'parent'
        CHECK (relationship IN ('mother', 'father', 'parent', 'grandparent', 'sibling', 'guardian', 'other')),
      is_primary boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (patient_id, guardian_id)
    );
    CREATE INDEX patient_guardians_guardian_idx ON patient_guardians (guardian_id);

    -- DPDP Act 2023: what was consented to, by whom, when, through which channel; withdrawable.
    CREATE TYPE consent_purpose AS ENUM ('data_processing', 'messaging', 'marketing', 'treatment');
    CREATE TABLE consents (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer REFERENCES patients (id),
      guardian_id integer REFERENCES guardians (id),
      purpose consent_purpose NOT NULL,
      channel text NOT NULL CHECK (channel IN ('cli', 'telegram', 'whatsapp', 'terminal_chat', 'paper')),
      notice_version text NOT NULL,
      granted_at timestamptz NOT NULL DEFAULT now(),
      withdrawn_at timestamptz,
      recorded_by_staff_id integer REFERENCES staff_users (id),
      CHECK (patient_id IS NOT NULL OR guardian_id IS NOT NULL),
      CHECK (withdrawn_at IS NULL OR withdrawn_at >= granted_at)
    );
    CREATE INDEX consents_patient_idx ON consents (patient_id);
    CREATE INDEX consents_guardian_idx ON consents (guardian_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE consents, patient_guardians, guardians, patients;
    DROP TYPE consent_purpose, contact_channel, contact_language;
    DROP SEQUENCE patient_number_seq;
  `.execute(db);
}
