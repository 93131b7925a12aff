import { sql, type Kysely } from 'kysely';

// A tamper-evident audit log (issue 15), and DPDP erasure through one locked-down function.
//
// - Each entry's content is fingerprinted when it is written (body_hash: its before/after/meta as first
//   written), and entries are then sealed into a hash chain: chain_position 1, 2, 3…, each entry's hash
//   over the previous entry's hash, its position, its columns and its body_hash. Writers never wait for
//   one another: entries go in unsealed, and roshni_auth.seal_audit() (the health job every minute,
//   `roshni audit verify`) appends whatever has been committed since, in id order, one sealer at a time.
// - Append-only for every application role: no UPDATE, DELETE or TRUNCATE privilege at all. The trigger
//   refuses them for the owner too, except inside the two owner-owned functions below (sealing: only the
//   seal columns, only once; erasure: only the JSON of an erased patient's entries).
// - Erasure (src/domain/data-rights/erase.ts) rewrites an erased patient's entries only through
//   roshni_auth.redact_audit_for_erasure(), which checks an admin's live session and that this very
//   transaction erased the patient. The old setting roshni.erasing_patient (any session could set it)
//   opens nothing any more. A redacted entry keeps its original body_hash, so the chain still verifies.
// - roshni_auth.audit_chain_page() walks the chain for `roshni audit verify` and the health check,
//   returning positions, ids and hashes only.
//
// roshni_auth.grant_roles() (migration 0017) ends by calling roshni_auth.grant_audit_log() once it exists.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE audit_log
      ADD COLUMN body_hash bytea,
      ADD COLUMN chain_position bigint UNIQUE,
      ADD COLUMN prev_hash bytea,
      ADD COLUMN hash bytea,
      ADD COLUMN redacted_at timestamptz;
    CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE chain_position IS NULL;

    -- The fingerprint of an entry's JSON. jsonb's text is canonical (keys sorted, one spelling per
    -- value); a present value x is written [x] so that SQL NULL and JSON null differ.
    CREATE FUNCTION public.roshni_audit_body_hash(b jsonb, a jsonb, m jsonb) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
        CASE WHEN b IS NULL THEN NULL ELSE pg_catalog.jsonb_build_array(b) END,
        CASE WHEN a IS NULL THEN NULL ELSE pg_catalog.jsonb_build_array(a) END,
        CASE WHEN m IS NULL THEN NULL ELSE pg_catalog.jsonb_build_array(m) END)::text, 'UTF8'))
    $$;

    -- An entry's link in the chain: sha256(previous hash || its position and columns as a JSON array ||
    -- body_hash). Both hashes are 32 bytes and the JSON array quotes its strings: no two entries share a text.
    -- The time is its epoch in microseconds' precision, whatever the session's time zone. (No SET clause
    -- on these two, so that they are inlined: the walk computes them for every entry.)
    CREATE FUNCTION public.roshni_audit_entry_hash(prev bytea, chain_position bigint, id integer, at timestamptz,
      actor_kind text, actor_id integer, actor_role text, action text, entity text, entity_id text,
      patient_id integer, outcome text, body bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT pg_catalog.sha256(prev || pg_catalog.convert_to(pg_catalog.jsonb_build_array(chain_position, id,
        EXTRACT(epoch FROM at)::text, actor_kind, actor_id, actor_role, action, entity, entity_id, patient_id,
        outcome)::text, 'UTF8') || body)
    $$;

    -- Entries go in unsealed, with the fingerprint of what they say.
    CREATE FUNCTION audit_log_fingerprint() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      IF NEW.chain_position IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.redacted_at IS NOT NULL THEN
        RAISE EXCEPTION 'audit entries are sealed by roshni_auth.seal_audit(), never written sealed'
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      NEW.body_hash := public.roshni_audit_body_hash(NEW.before, NEW.after, NEW.meta);
      RETURN NEW;
    END $$;

    -- Append-only: no DELETE, no TRUNCATE, no UPDATE, for anyone, but what the two functions below do as
    -- the tables' owner (they say which in the transaction-local setting roshni.audit_write, set and reset
    -- in their own bodies; the setting opens nothing to anyone but the owner, and an application role has
    -- no UPDATE privilege to begin with. A function's SET clause would be neater: PostgreSQL 15 allows it
    -- on a custom setting to superusers only, and a managed server's owner is none).
    CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      purpose text := current_setting('roshni.audit_write', true);
      by_owner boolean;
      same_entry boolean;
    BEGIN
      IF TG_OP = 'UPDATE' AND purpose IN ('seal', 'redact') THEN
        SELECT current_user = r.rolname INTO by_owner
          FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = TG_RELID;
        same_entry := (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.actor_role, NEW.action, NEW.entity,
                       NEW.entity_id, NEW.patient_id, NEW.outcome, NEW.body_hash)
                      IS NOT DISTINCT FROM
                      (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.actor_role, OLD.action, OLD.entity,
                       OLD.entity_id, OLD.patient_id, OLD.outcome, OLD.body_hash);
        IF by_owner AND same_entry AND purpose = 'seal'
           AND OLD.chain_position IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
           AND NEW.chain_position IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
           AND (NEW.before, NEW.after, NEW.meta, NEW.redacted_at) IS NOT DISTINCT FROM (OLD.before, OLD.after, OLD.meta, OLD.redacted_at) THEN
          RETURN NEW;
        END IF;
        IF by_owner AND same_entry AND purpose = 'redact' AND OLD.patient_id IS NOT NULL AND NEW.redacted_at IS NOT NULL
           AND (NEW.chain_position, NEW.prev_hash, NEW.hash) IS NOT DISTINCT FROM (OLD.chain_position, OLD.prev_hash, OLD.hash)
           AND EXISTS (SELECT 1 FROM public.patients p WHERE p.id = OLD.patient_id AND p.erased_at IS NOT NULL) THEN
          RETURN NEW;
        END IF;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;

    -- Appends the committed unsealed entries to the chain (up to 50 000 a call), in id order; returns how
    -- many. Sealers take turns (an advisory lock held to the end of their transaction, so that the next one
    -- reads the chain's new end); writers never wait for them, nor they for writers.
    CREATE FUNCTION roshni_auth.seal_audit() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      was text := current_setting('roshni.audit_write', true);
      last_position bigint;
      last_hash bytea;
      ids integer[] := '{}';
      positions bigint[] := '{}';
      prevs bytea[] := '{}';
      hashes bytea[] := '{}';
      e record;
      sealed integer;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('roshni_auth.seal_audit'));
      SELECT a.chain_position, a.hash INTO last_position, last_hash
        FROM public.audit_log a WHERE a.chain_position IS NOT NULL ORDER BY a.chain_position DESC LIMIT 1;
      last_position := coalesce(last_position, 0);
      last_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
      FOR e IN SELECT a.id, a.at, a.actor_kind, a.actor_id, a.actor_role, a.action, a.entity, a.entity_id,
                      a.patient_id, a.outcome, a.body_hash
               FROM public.audit_log a
               WHERE a.chain_position IS NULL AND a.prev_hash IS NULL AND a.hash IS NULL AND a.body_hash IS NOT NULL
               ORDER BY a.id LIMIT 50000
      LOOP
        last_position := last_position + 1;
        ids := ids || e.id;
        positions := positions || last_position;
        prevs := prevs || last_hash;
        last_hash := public.roshni_audit_entry_hash(last_hash, last_position, e.id, e.at, e.actor_kind, e.actor_id,
                       e.actor_role, e.action, e.entity, e.entity_id, e.patient_id, e.outcome, e.body_hash);
        hashes := hashes || last_hash;
      END LOOP;
      PERFORM set_config('roshni.audit_write', 'seal', true);
      UPDATE public.audit_log a SET chain_position = s.position, prev_hash = s.prev, hash = s.hash
        FROM unnest(ids, positions, prevs, hashes) AS s(id, position, prev, hash)
        WHERE a.id = s.id;
      GET DIAGNOSTICS sealed = ROW_COUNT;
      PERFORM set_config('roshni.audit_write', coalesce(was, ''), true);
      RETURN sealed;
    END $$;

    -- DPDP erasure: rewrites the before/after/meta of the patient's entries (entries: a JSON array of
    -- {id, before, after, meta}), marking them redacted. Only for an admin's live session (or the tables'
    -- owner), only for a patient this very transaction erased, only that patient's entries, only their JSON.
    CREATE FUNCTION roshni_auth.redact_audit_for_erasure(patient integer, entries jsonb) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      was text := current_setting('roshni.audit_write', true);
      rewritten integer;
    BEGIN
      IF NOT (EXISTS (SELECT 1 FROM roshni_auth.caller() c WHERE c.role = 'admin')
              OR pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'public.audit_log'::regclass), 'MEMBER')) THEN
        RAISE EXCEPTION 'only a signed-in admin may erase a patient''s audit entries' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM public.patients p
                     WHERE p.id = patient AND p.erased_at IS NOT NULL AND p.xmin = pg_current_xact_id()::xid) THEN
        RAISE EXCEPTION 'patient % is not being erased in this transaction', patient USING ERRCODE = 'insufficient_privilege';
      END IF;
      PERFORM set_config('roshni.audit_write', 'redact', true);
      UPDATE public.audit_log a SET before = r.before, after = r.after, meta = r.meta, redacted_at = now()
        FROM jsonb_to_recordset(entries) AS r(id integer, before jsonb, after jsonb, meta jsonb)
        WHERE a.id = r.id AND a.patient_id = patient;
      GET DIAGNOSTICS rewritten = ROW_COUNT;
      PERFORM set_config('roshni.audit_write', coalesce(was, ''), true);
      RETURN rewritten;
    END $$;

    -- Who may walk the chain: an admin's live session, the tables' owner, and roshni start (roshni_service:
    -- the health job). What they get is positions, ids and hashes: nothing an entry says.
    CREATE FUNCTION roshni_auth.may_verify_audit() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT EXISTS (SELECT 1 FROM roshni_auth.caller() c WHERE c.role = 'admin')
          OR pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'public.audit_log'::regclass), 'MEMBER')
          OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'roshni_service') AND pg_has_role(session_user, 'roshni_service', 'MEMBER'))
    $$;

    -- One page of the chain after a position whose hash the caller knows (0 and 32 zero bytes to begin):
    -- how many entries, the last one's position and hash, and the first entry that does not fit, if any:
    --   missing  a gap in the positions (entries deleted);
    --   inserted an entry that does not link to the one before, where the next one does (or it is the last);
    --   link     an entry that does not link to the one before (one removed and the rest renumbered, say);
    --   edited   an entry whose hash no longer matches its columns, or whose JSON no longer matches its
    --            fingerprint (not redacted), or that is marked redacted while its patient is not erased.
    CREATE FUNCTION roshni_auth.audit_chain_page(after_position bigint, after_hash bytea, page_size integer)
      RETURNS TABLE (entries integer, last_position bigint, last_hash bytea, broken_position bigint, broken_id integer,
                     problem text, previous_position bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      IF NOT roshni_auth.may_verify_audit() THEN
        RAISE EXCEPTION 'only a signed-in admin may verify the audit log' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN QUERY
      WITH page AS (
        SELECT a.* FROM public.audit_log a
        WHERE a.chain_position > after_position ORDER BY a.chain_position LIMIT page_size + 1
      ), judged AS (
        SELECT p.chain_position, p.id, p.hash, p.prev_hash,
               row_number() OVER w AS n,
               lag(p.chain_position, 1, after_position) OVER w AS previous_position,
               lag(p.hash, 1, after_hash) OVER w AS previous_hash,
               lead(p.prev_hash) OVER w AS next_prev_hash,
               p.hash IS DISTINCT FROM public.roshni_audit_entry_hash(p.prev_hash, p.chain_position, p.id, p.at, p.actor_kind,
                   p.actor_id, p.actor_role, p.action, p.entity, p.entity_id, p.patient_id, p.outcome, p.body_hash)
               OR (p.redacted_at IS NULL AND p.body_hash IS DISTINCT FROM public.roshni_audit_body_hash(p.before, p.after, p.meta))
               OR (p.redacted_at IS NOT NULL AND NOT EXISTS (
                     SELECT 1 FROM public.patients pt WHERE pt.id = p.patient_id AND pt.erased_at IS NOT NULL)) AS changed
        FROM page p WINDOW w AS (ORDER BY p.chain_position)
      ), verdicts AS (
        SELECT j.*, CASE
          WHEN j.chain_position <> j.previous_position + 1 THEN 'missing'
          WHEN j.prev_hash IS DISTINCT FROM j.previous_hash THEN
            CASE WHEN j.next_prev_hash IS NULL OR j.next_prev_hash = j.previous_hash THEN 'inserted' ELSE 'link' END
          WHEN j.changed THEN 'edited'
        END AS problem
        FROM judged j WHERE j.n <= page_size
      )
      SELECT (SELECT count(*)::integer FROM verdicts),
             (SELECT v.chain_position FROM verdicts v ORDER BY v.chain_position DESC LIMIT 1),
             (SELECT v.hash FROM verdicts v ORDER BY v.chain_position DESC LIMIT 1),
             b.chain_position, b.id, b.problem, b.previous_position
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT * FROM verdicts v WHERE v.problem IS NOT NULL ORDER BY v.chain_position LIMIT 1) b ON true;
    END $$;

    -- The hashes at some positions (anchors kept outside the database, checked by \`roshni audit verify\`).
    CREATE FUNCTION roshni_auth.audit_chain_hashes(positions bigint[])
      RETURNS TABLE (chain_position bigint, hash bytea)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      IF NOT roshni_auth.may_verify_audit() THEN
        RAISE EXCEPTION 'only a signed-in admin may verify the audit log' USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN QUERY SELECT a.chain_position, a.hash FROM public.audit_log a WHERE a.chain_position = ANY (positions);
    END $$;

    -- The audit log's privileges, (re)applied by grant_roles() after every migration and restore (which
    -- brings no privileges, so functions come back executable by PUBLIC).
    CREATE FUNCTION roshni_auth.grant_audit_log() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_log FROM PUBLIC, roshni_app, roshni_staff, roshni_service;
      REVOKE ALL ON FUNCTION roshni_auth.audit(integer, text, text, integer, text, jsonb) FROM PUBLIC;
      REVOKE ALL ON FUNCTION roshni_auth.seal_audit() FROM PUBLIC;
      REVOKE ALL ON FUNCTION roshni_auth.redact_audit_for_erasure(integer, jsonb) FROM PUBLIC;
      REVOKE ALL ON FUNCTION roshni_auth.may_verify_audit() FROM PUBLIC;
      REVOKE ALL ON FUNCTION roshni_auth.audit_chain_page(bigint, bytea, integer) FROM PUBLIC;
      REVOKE ALL ON FUNCTION roshni_auth.audit_chain_hashes(bigint[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION roshni_auth.seal_audit() TO roshni_staff, roshni_service;
      GRANT EXECUTE ON FUNCTION roshni_auth.redact_audit_for_erasure(integer, jsonb) TO roshni_staff;
      GRANT EXECUTE ON FUNCTION roshni_auth.audit_chain_page(bigint, bytea, integer) TO roshni_staff, roshni_service;
      GRANT EXECUTE ON FUNCTION roshni_auth.audit_chain_hashes(bigint[]) TO roshni_staff, roshni_service;
    END $$;



    -- The entries written so far: fingerprinted as they are now, and sealed.
    ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
    UPDATE audit_log SET body_hash = roshni_audit_body_hash(before, after, meta);
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
    CREATE TRIGGER audit_log_fingerprint BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_fingerprint();
    DO $$ BEGIN WHILE roshni_auth.seal_audit() > 0 LOOP END LOOP; END $$;
    -- grant_roles() ends with grant_audit_log(), whose table-wide REVOKE UPDATE also takes back the column
    -- UPDATE of the JSON that 0010's roshni_grant_app_role() gives roshni_app for erasure (no longer needed).
    SELECT roshni_auth.grant_roles();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER audit_log_fingerprint ON audit_log;
    DROP FUNCTION audit_log_fingerprint();
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
    DROP FUNCTION roshni_auth.audit_chain_hashes(bigint[]);
    DROP FUNCTION roshni_auth.audit_chain_page(bigint, bytea, integer);
    DROP FUNCTION roshni_auth.may_verify_audit();
    DROP FUNCTION roshni_auth.redact_audit_for_erasure(integer, jsonb);
    DROP FUNCTION roshni_auth.seal_audit();
    DROP FUNCTION public.roshni_audit_entry_hash(bytea, bigint, integer, timestamptz, text, integer, text, text, text, text, integer, text, bytea);
    DROP FUNCTION public.roshni_audit_body_hash(jsonb, jsonb, jsonb);
    DROP INDEX audit_log_unsealed_idx;
    ALTER TABLE audit_log DROP COLUMN redacted_at, DROP COLUMN hash, DROP COLUMN prev_hash,
      DROP COLUMN chain_position, DROP COLUMN body_hash;
  `.execute(db);
  // The column UPDATE 0010 gave roshni_app for erasure, back.
  await sql`
    DROP FUNCTION roshni_auth.grant_audit_log();
    SELECT roshni_grant_app_role();
  `.execute(db);
}
