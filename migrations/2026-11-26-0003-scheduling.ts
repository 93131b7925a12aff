import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE services (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$'),
      name text NOT NULL CHECK (length(trim(name)) > 0),
      name_hi text NOT NULL,
      specialization_code text REFERENCES specializations (code),
      duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
      price_paise integer NOT NULL CHECK (price_paise >= 0),
      max_participants integer NOT NULL DEFAULT 1 CHECK (max_participants BETWEEN 1 AND 50),
      is_assessment boolean NOT NULL DEFAULT false,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TRIGGER services_updated_at BEFORE UPDATE ON services
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    INSERT INTO services (code, name, name_hi, specialization_code, duration_minutes, price_paise, max_participants, is_assessment) VALUES
      ('speech-therapy', 'Speech therapy session', 'स्पीच थेरेपी सत्र', 'slp', 45, 100000, 1, false),
      ('occupational-therapy', 'Occupational therapy session', 'ऑक्यूपेशनल थेरेपी सत्र', 'ot', 45, 100000, 1, false),
      ('physiotherapy', 'Physiotherapy session', 'फिज़ियोथेरेपी सत्र', 'pt', 45, 80000, 1, false),
      ('initial-assessment', 'Initial assessment', 'प्रारंभिक मूल्यांकन', NULL, 45, 150000, 1, true),
      ('group-social-skills', 'Group social skills session', 'समूह सामाजिक कौशल सत्र', 'slp', 45, 60000, 4, false);

    -- Weekly recurring hours; a break is the gap between two blocks of one day. ISO weekday: 1 = Monday.
    CREATE TABLE working_hours (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      therapist_id integer NOT NULL REFERENCES therapists (id) ON DELETE CASCADE,
      weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
      start_time time NOT NULL,
      end_time time NOT NULL,
      CHECK (end_time > start_time),
      CONSTRAINT working_hours_no_overlap EXCLUDE USING gist (
        therapist_id WITH =,
        weekday WITH =,
        tsrange(date '2000-01-01' + start_time, date '2000-01-01' + end_time) WITH &&
      )
    );

    CREATE TABLE clinic_holidays (
      holiday_on date PRIMARY KEY,
      name text NOT NULL
    );

    CREATE TABLE therapist_leave (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      therapist_id integer NOT NULL REFERENCES therapists (id) ON DELETE CASCADE,
      starts_on date NOT NULL,
      ends_on date NOT NULL,
      reason text,
      created_by_staff_id integer REFERENCES staff_users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (ends_on >= starts_on)
    );
    CREATE INDEX therapist_leave_therapist_idx ON therapist_leave (therapist_id, starts_on);

    CREATE TYPE slot_status AS ENUM ('open', 'blocked');

    -- Materialised bookable time. A slot tied to a service (group sessions) takes only that service.
    CREATE TABLE appointment_slots (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      therapist_id integer NOT NULL REFERENCES therapists (id),
      service_id integer REFERENCES services (id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      max_bookings integer NOT NULL DEFAULT 1 CHECK (max_bookings BETWEEN 1 AND 50),
      status slot_status NOT NULL DEFAULT 'open',
      blocked_reason text,
      last_booked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (ends_at > starts_at),
      CONSTRAINT appointment_slots_no_overlap EXCLUDE USING gist (
        therapist_id WITH =,
        tstzrange(starts_at, ends_at) WITH &&
      )
    );
    CREATE INDEX appointment_slots_starts_at_idx ON appointment_slots (starts_at);

    CREATE TABLE appointment_series (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer NOT NULL REFERENCES patients (id),
      therapist_id integer NOT NULL REFERENCES therapists (id),
      service_id integer NOT NULL REFERENCES services (id),
      rule jsonb NOT NULL,
      created_by_staff_id integer REFERENCES staff_users (id),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TYPE appointment_status AS ENUM
      ('scheduled', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show');
    CREATE TYPE payment_status AS ENUM ('pending', 'partially_paid', 'paid', 'refunded', 'waived');
    CREATE TYPE booking_channel AS ENUM ('cli', 'telegram', 'whatsapp', 'terminal_chat', 'waitlist', 'system');

    -- Numbers come from a sequence: unique under any concurrency (the seed's minute-based numbers collided).
    CREATE SEQUENCE appointment_number_seq;

    CREATE TABLE appointments (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      appointment_number text NOT NULL UNIQUE
        DEFAULT padded_number('APT-', nextval('appointment_number_seq'), 6),
      patient_id integer NOT NULL REFERENCES patients (id),
      therapist_id integer NOT NULL REFERENCES therapists (id),
      service_id integer NOT NULL REFERENCES services (id),
      slot_id integer REFERENCES appointment_slots (id),
      series_id integer REFERENCES appointment_series (id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      status appointment_status NOT NULL DEFAULT 'scheduled',
      price_paise integer NOT NULL CHECK (price_paise >= 0),
      payment_status payment_status NOT NULL DEFAULT 'pending',
      waived_reason text,
      waived_by_staff_id integer REFERENCES staff_users (id),
      booked_via booking_channel NOT NULL DEFAULT 'cli',
      booked_by_staff_id integer REFERENCES staff_users (id),
      booked_by_guardian_id integer REFERENCES guardians (id),
      confirmed_at timestamptz,
      checked_in_at timestamptz,
      completed_at timestamptz,
      no_show_at timestamptz,
      cancelled_at timestamptz,
      cancelled_by text CHECK (cancelled_by IN ('staff', 'patient', 'system')),
      cancelled_by_staff_id integer REFERENCES staff_users (id),
      cancellation_reason text,
      late_cancellation boolean NOT NULL DEFAULT false,
      rescheduled_from_id integer REFERENCES appointments (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (ends_at > starts_at),
      CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
      CHECK (payment_status <> 'waived' OR waived_reason IS NOT NULL),
      -- A therapist never holds two overlapping live appointments. Appointments sharing one
      -- (group) slot are compared by the capacity trigger below instead.
      CONSTRAINT appointments_therapist_no_overlap EXCLUDE USING gist (
        therapist_id WITH =,
        tstzrange(starts_at, ends_at) WITH &&,
        (coalesce(slot_id, -id)) WITH <>
      ) WHERE (status <> 'cancelled'),
      -- A patient is in one place at a time.
      CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (
        patient_id WITH =,
        tstzrange(starts_at, ends_at) WITH &&
      ) WHERE (status <> 'cancelled')
    );
    CREATE INDEX appointments_starts_at_idx ON appointments (starts_at);
    CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at);
    CREATE INDEX appointments_slot_idx ON appointments (slot_id) WHERE status <> 'cancelled';
    CREATE TRIGGER appointments_updated_at BEFORE UPDATE ON appointments
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    -- Slot capacity, decided by the database. Updating the slot row serialises bookings of one
    -- slot under READ COMMITTED and makes a concurrent REPEATABLE READ booking fail instead of
    -- overbooking; the count is then exact, with no stored counter that could drift.
    CREATE FUNCTION enforce_slot_capacity() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      slot record;
      taken integer;
    BEGIN
      IF NEW.slot_id IS NULL OR NEW.status = 'cancelled' THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.slot_id IS NOT DISTINCT FROM NEW.slot_id AND OLD.status <> 'cancelled'
         AND OLD.therapist_id = NEW.therapist_id AND OLD.starts_at = NEW.starts_at AND OLD.service_id = NEW.service_id THEN
        RETURN NEW;
      END IF;
      UPDATE appointment_slots SET last_booked_at = now() WHERE id = NEW.slot_id
        RETURNING therapist_id, service_id, starts_at, max_bookings, status INTO slot;
      -- Appointments sharing a slot are exempt from the therapist-overlap constraint, so each must
      -- really sit in it: its therapist, its start, and its service when the slot has one.
      IF NEW.therapist_id <> slot.therapist_id OR NEW.starts_at <> slot.starts_at
         OR (slot.service_id IS NOT NULL AND slot.service_id <> NEW.service_id) THEN
        RAISE EXCEPTION 'appointment does not match slot %', NEW.slot_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'appointment_slot_match';
      END IF;
      IF slot.status = 'blocked' THEN
        RAISE EXCEPTION 'slot % is blocked', NEW.slot_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'appointment_slot_open';
      END IF;
      SELECT count(*) INTO taken FROM appointments
        WHERE slot_id = NEW.slot_id AND status <> 'cancelled' AND id <> NEW.id;
      IF taken >= slot.max_bookings THEN
        RAISE EXCEPTION 'slot % is full', NEW.slot_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'appointment_slot_capacity';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER appointments_slot_capacity BEFORE INSERT OR UPDATE OF slot_id, status, therapist_id, starts_at, service_id ON appointments
      FOR EACH ROW EXECUTE FUNCTION enforce_slot_capacity();

    CREATE TYPE waitlist_status AS ENUM ('waiting', 'offered', 'booked', 'lapsed', 'removed');
    CREATE TABLE waitlist_entries (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer NOT NULL REFERENCES patients (id),
      service_id integer NOT NULL REFERENCES services (id),
      therapist_id integer REFERENCES therapists (id),
      earliest_on date NOT NULL,
      latest_on date NOT NULL,
      urgent boolean NOT NULL DEFAULT false,
      status waitlist_status NOT NULL DEFAULT 'waiting',
      note text,
      created_by_staff_id integer REFERENCES staff_users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (latest_on >= earliest_on)
    );
    CREATE INDEX waitlist_entries_waiting_idx ON waitlist_entries (urgent DESC, created_at) WHERE status = 'waiting';
    CREATE TRIGGER waitlist_entries_updated_at BEFORE UPDATE ON waitlist_entries
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TYPE waitlist_offer_status AS ENUM ('pending', 'accepted', 'declined', 'expired', 'taken');
    CREATE TABLE waitlist_offers (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      entry_id integer NOT NULL REFERENCES waitlist_entries (id),
      slot_id integer NOT NULL REFERENCES appointment_slots (id),
      offered_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      status waitlist_offer_status NOT NULL DEFAULT 'pending',
      responded_at timestamptz,
      appointment_id integer REFERENCES appointments (id),
      CHECK (expires_at > offered_at)
    );
    CREATE UNIQUE INDEX waitlist_offers_one_pending_per_entry ON waitlist_offers (entry_id) WHERE status = 'pending';
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE waitlist_offers, waitlist_entries, appointments, appointment_series, appointment_slots,
      therapist_leave, clinic_holidays, working_hours, services;
    DROP FUNCTION enforce_slot_capacity();
    DROP SEQUENCE appointment_number_seq;
    DROP TYPE waitlist_offer_status, waitlist_status, booking_channel, payment_status, appointment_status, slot_status;
  `.execute(db);
}
