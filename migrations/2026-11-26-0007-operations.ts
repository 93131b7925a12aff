import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- Append-only. Entries name people by id only: no names, phones or note text.
    CREATE TABLE audit_log (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_kind text NOT NULL CHECK (actor_kind IN ('staff', 'system', 'patient', 'guardian')),
      actor_id integer,
      actor_role text,
      action text NOT NULL,
      entity text NOT NULL,
      entity_id text,
      patient_id integer,
      outcome text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied')),
      before jsonb,
      after jsonb,
      meta jsonb
    );
    CREATE INDEX audit_log_at_idx ON audit_log (at);
    CREATE INDEX audit_log_patient_idx ON audit_log (patient_id, at);
    CREATE INDEX audit_log_actor_idx ON audit_log (actor_kind, actor_id, at);

    CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

    CREATE TYPE health_status AS ENUM ('healthy', 'degraded', 'unhealthy');
    CREATE TABLE health_checks (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      checked_at timestamptz NOT NULL DEFAULT now(),
      status health_status NOT NULL,
      duration_ms integer NOT NULL,
      results jsonb NOT NULL
    );
    CREATE INDEX health_checks_checked_at_idx ON health_checks (checked_at);

    CREATE TYPE backup_kind AS ENUM ('manual', 'daily', 'weekly', 'monthly');
    CREATE TYPE backup_state AS ENUM ('running', 'completed', 'failed', 'rotated');
    CREATE TABLE backups (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind backup_kind NOT NULL,
      state backup_state NOT NULL DEFAULT 'running',
      file_path text,
      size_bytes bigint,
      sha256 text,
      encrypted boolean NOT NULL DEFAULT false,
      manifest jsonb,
      error text,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      verified_at timestamptz,
      verify_result jsonb
    );

    CREATE TYPE job_state AS ENUM ('running', 'succeeded', 'failed');
    -- (job, window) is unique: two processes can never both run one job for one window.
    CREATE TABLE job_runs (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      job_name text NOT NULL,
      window_key text NOT NULL,
      instance_id text NOT NULL,
      state job_state NOT NULL DEFAULT 'running',
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      result jsonb,
      error text,
      UNIQUE (job_name, window_key)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE job_runs, backups, health_checks, audit_log;
    DROP FUNCTION audit_log_is_append_only();
    DROP TYPE job_state, backup_state, backup_kind, health_status;
  `.execute(db);
}
