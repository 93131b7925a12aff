import { sql, type Kysely } from 'kysely';

// Money is integer paise everywhere. References come from sequences (the seed's
// PAY-<epoch seconds> collided within a second).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE package_plans (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$'),
      name text NOT NULL,
      service_id integer NOT NULL REFERENCES services (id),
      sessions integer NOT NULL CHECK (sessions BETWEEN 1 AND 200),
      price_paise integer NOT NULL CHECK (price_paise > 0),
      valid_days integer NOT NULL DEFAULT 180 CHECK (valid_days > 0),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TYPE package_status AS ENUM ('pending_payment', 'active', 'exhausted', 'expired', 'cancelled');
    CREATE TABLE patient_packages (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id integer NOT NULL REFERENCES patients (id),
      plan_id integer NOT NULL REFERENCES package_plans (id),
      service_id integer NOT NULL REFERENCES services (id),
      sessions_total integer NOT NULL CHECK (sessions_total > 0),
      price_paise integer NOT NULL CHECK (price_paise >= 0),
      status package_status NOT NULL DEFAULT 'pending_payment',
      expires_on date NOT NULL,
      sold_by_staff_id integer REFERENCES staff_users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX patient_packages_patient_idx ON patient_packages (patient_id);
    CREATE TRIGGER patient_packages_updated_at BEFORE UPDATE ON patient_packages
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    -- A package's balance is its total minus its draws; the trigger keeps draws within the total.
    CREATE TABLE package_draws (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      package_id integer NOT NULL REFERENCES patient_packages (id),
      appointment_id integer NOT NULL UNIQUE REFERENCES appointments (id),
      reason text NOT NULL DEFAULT 'session' CHECK (reason IN ('session', 'late_cancellation', 'no_show')),
      drawn_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION enforce_package_balance() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      pkg record;
      used integer;
    BEGIN
      UPDATE patient_packages SET updated_at = now() WHERE id = NEW.package_id
        RETURNING sessions_total, status INTO pkg;
      IF pkg.status <> 'active' THEN
        RAISE EXCEPTION 'package % is not active', NEW.package_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'package_draw_active';
      END IF;
      SELECT count(*) INTO used FROM package_draws WHERE package_id = NEW.package_id;
      IF used >= pkg.sessions_total THEN
        RAISE EXCEPTION 'package % has no sessions left', NEW.package_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'package_draw_balance';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER package_draws_balance BEFORE INSERT ON package_draws
      FOR EACH ROW EXECUTE FUNCTION enforce_package_balance();

    CREATE TYPE payment_method AS ENUM ('cash', 'card', 'bank_transfer', 'upi', 'razorpay');
    CREATE TYPE payment_state AS ENUM ('pending', 'completed', 'failed', 'cancelled');
    CREATE SEQUENCE payment_reference_seq;

    CREATE TABLE payments (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      reference text NOT NULL UNIQUE
        DEFAULT padded_number('PAY-', nextval('payment_reference_seq'), 6),
      patient_id integer NOT NULL REFERENCES patients (id),
      appointment_id integer REFERENCES appointments (id),
      package_id integer REFERENCES patient_packages (id),
      amount_paise integer NOT NULL CHECK (amount_paise > 0),
      method payment_method NOT NULL,
      state payment_state NOT NULL DEFAULT 'pending',
      utr text UNIQUE CHECK (utr ~ '^[A-Za-z0-9]{6,35}$'),
      razorpay_order_id text,
      razorpay_payment_id text UNIQUE,
      razorpay_payment_link_id text,
      failure_reason text,
      note text,
      processed_by_staff_id integer REFERENCES staff_users (id),
      paid_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (appointment_id IS NOT NULL OR package_id IS NOT NULL),
      CHECK ((state = 'completed') = (paid_at IS NOT NULL))
    );
    CREATE INDEX payments_appointment_idx ON payments (appointment_id);
    CREATE INDEX payments_paid_at_idx ON payments (paid_at);
    CREATE INDEX payments_razorpay_order_idx ON payments (razorpay_order_id);
    CREATE TRIGGER payments_updated_at BEFORE UPDATE ON payments
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TYPE refund_state AS ENUM ('pending', 'processed', 'failed');
    CREATE SEQUENCE refund_reference_seq;
    CREATE TABLE refunds (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      reference text NOT NULL UNIQUE
        DEFAULT padded_number('RFD-', nextval('refund_reference_seq'), 6),
      payment_id integer NOT NULL REFERENCES payments (id),
      amount_paise integer NOT NULL CHECK (amount_paise > 0),
      reason text NOT NULL CHECK (length(trim(reason)) > 0),
      state refund_state NOT NULL DEFAULT 'pending',
      razorpay_refund_id text UNIQUE,
      processed_by_staff_id integer REFERENCES staff_users (id),
      processed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX refunds_payment_idx ON refunds (payment_id);

    -- Refunds never exceed what was paid, decided by the database under concurrency.
    CREATE FUNCTION enforce_refund_limit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      pay record;
      refunded integer;
    BEGIN
      IF NEW.state = 'failed' THEN
        RETURN NEW;
      END IF;
      UPDATE payments SET updated_at = now() WHERE id = NEW.payment_id
        RETURNING amount_paise, state INTO pay;
      IF pay.state <> 'completed' THEN
        RAISE EXCEPTION 'payment % is not completed', NEW.payment_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'refund_payment_completed';
      END IF;
      SELECT coalesce(sum(amount_paise), 0) INTO refunded FROM refunds
        WHERE payment_id = NEW.payment_id AND state <> 'failed' AND id <> NEW.id;
      IF refunded + NEW.amount_paise > pay.amount_paise THEN
        RAISE EXCEPTION 'refund exceeds the amount paid on payment %', NEW.payment_id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'refund_within_payment';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refunds_limit BEFORE INSERT OR UPDATE OF amount_paise, state ON refunds
      FOR EACH ROW EXECUTE FUNCTION enforce_refund_limit();

    -- One receipt per completed payment, one credit note per processed refund; each series
    -- numbered consecutively on its own, as GST invoicing expects.
    CREATE SEQUENCE receipt_number_seq;
    CREATE SEQUENCE credit_note_number_seq;
    CREATE TABLE receipts (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      receipt_number text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('receipt', 'credit_note')),
      payment_id integer UNIQUE REFERENCES payments (id),
      refund_id integer UNIQUE REFERENCES refunds (id),
      amount_paise integer NOT NULL CHECK (amount_paise > 0),
      snapshot jsonb NOT NULL,
      issued_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((kind = 'receipt') = (payment_id IS NOT NULL AND refund_id IS NULL)),
      CHECK ((kind = 'credit_note') = (refund_id IS NOT NULL AND payment_id IS NULL))
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE receipts, refunds, payments, package_draws, patient_packages, package_plans;
    DROP FUNCTION enforce_refund_limit();
    DROP FUNCTION enforce_package_balance();
    DROP SEQUENCE receipt_number_seq, credit_note_number_seq, refund_reference_seq, payment_reference_seq;
    DROP TYPE refund_state, payment_state, payment_method, package_status;
  `.execute(db);
}
