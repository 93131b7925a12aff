import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS btree_gist;

    -- "APT-000123": zero-padded to a width, and never cut short once the number outgrows it.
    CREATE FUNCTION padded_number(prefix text, n bigint, width integer) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$ SELECT prefix || lpad(n::text, greatest(width, length(n::text)), '0') $$;

    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END $$;

    -- One row: the clinic itself and the rules it books by.
    CREATE TABLE clinic_settings (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      name text NOT NULL CHECK (length(trim(name)) > 0),
      phone text CHECK (phone ~ '^\\+[1-9][0-9]{7,14}$'),
      email text,
      address text,
      timezone text NOT NULL DEFAULT 'Asia/Kolkata',
      upi_vpa text CHECK (upi_vpa ~ '^[A-Za-z0-9._-]{2,255}@[A-Za-z][A-Za-z0-9.-]{1,63}$'),
      upi_payee_name text,
      gstin text CHECK (gstin ~ '^[0-9]{2}[A-Z0-9]{10}[0-9A-Z]Z[0-9A-Z]$'),
      receipt_prefix text NOT NULL DEFAULT 'RCPT' CHECK (receipt_prefix ~ '^[A-Z0-9-]{1,12}$'),
      slot_minutes integer NOT NULL DEFAULT 45 CHECK (slot_minutes BETWEEN 5 AND 480),
      slot_buffer_minutes integer NOT NULL DEFAULT 15 CHECK (slot_buffer_minutes BETWEEN 0 AND 240),
      min_notice_minutes integer NOT NULL DEFAULT 120 CHECK (min_notice_minutes >= 0),
      max_advance_days integer NOT NULL DEFAULT 60 CHECK (max_advance_days > 0),
      late_cancel_hours integer NOT NULL DEFAULT 24 CHECK (late_cancel_hours >= 0),
      late_cancel_fee_paise integer NOT NULL DEFAULT 0 CHECK (late_cancel_fee_paise >= 0),
      no_show_fee_paise integer NOT NULL DEFAULT 0 CHECK (no_show_fee_paise >= 0),
      reminder_offsets_minutes integer[] NOT NULL DEFAULT '{1440,120}',
      quiet_hours_start time NOT NULL DEFAULT '21:00',
      quiet_hours_end time NOT NULL DEFAULT '08:00',
      change_grace_minutes integer NOT NULL DEFAULT 3 CHECK (change_grace_minutes >= 0),
      waitlist_offer_minutes integer NOT NULL DEFAULT 30 CHECK (waitlist_offer_minutes > 0),
      data_retention_years integer NOT NULL DEFAULT 7 CHECK (data_retention_years > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TRIGGER clinic_settings_updated_at BEFORE UPDATE ON clinic_settings
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TYPE staff_role AS ENUM ('admin', 'receptionist', 'therapist');

    CREATE TABLE staff_users (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      username text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9._-]{1,31}$'),
      full_name text NOT NULL CHECK (length(trim(full_name)) > 0),
      role staff_role NOT NULL,
      phone text CHECK (phone ~ '^\\+[1-9][0-9]{7,14}$'),
      email text,
      password_hash text,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TRIGGER staff_users_updated_at BEFORE UPDATE ON staff_users
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    -- Extensible list of therapy disciplines.
    CREATE TABLE specializations (
      code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,15}$'),
      name text NOT NULL,
      name_hi text NOT NULL
    );
    INSERT INTO specializations (code, name, name_hi) VALUES
      ('slp', 'Speech-language therapy', 'स्पीच थेरेपी'),
      ('ot', 'Occupational therapy', 'ऑक्यूपेशनल थेरेपी'),
      ('pt', 'Physiotherapy', 'फिज़ियोथेरेपी');

    CREATE TABLE therapists (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      staff_user_id integer UNIQUE REFERENCES staff_users (id),
      full_name text NOT NULL CHECK (length(trim(full_name)) > 0),
      phone text CHECK (phone ~ '^\\+[1-9][0-9]{7,14}$'),
      email text,
      bio text,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TRIGGER therapists_updated_at BEFORE UPDATE ON therapists
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TABLE therapist_specializations (
      therapist_id integer NOT NULL REFERENCES therapists (id) ON DELETE CASCADE,
      specialization_code text NOT NULL REFERENCES specializations (code),
      PRIMARY KEY (therapist_id, specialization_code)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE therapist_specializations, therapists, specializations, staff_users, clinic_settings;
    DROP TYPE staff_role;
    DROP FUNCTION set_updated_at();
    DROP FUNCTION padded_number(text, bigint, integer);
  `.execute(db);
}
