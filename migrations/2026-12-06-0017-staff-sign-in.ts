import { sql, type Kysely } from 'kysely';

// Staff sign in with a password of their own, and the database checks who they are (issue 15).
//
// - Passwords and sessions live in the schema roshni_auth, which no application role may read: only the
//   SECURITY DEFINER functions below (owned by the tables' owner) touch it.
// - A password is stretched by the CLI with scrypt (salt and cost from sign_in_challenge); the database
//   keeps only the SHA-256 of that key, so a stolen verifier still costs an attacker scrypt per guess.
// - Signing in returns a random session token (256 bits); the database keeps only its SHA-256. Each
//   transaction hands the token over in the setting roshni.session, and the policies trust the staff member
//   whose live session it is: a setting naming a role or an id is believed by no policy.
// - The roles: roshni_staff (desk computers: identity only through a session), roshni_service (`roshni
//   start`: the bots speak for the patients and guardians they identified, jobs act as the system; neither
//   reads clinical records). Both are members of roshni_app, which holds the table grants.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE clinic_settings
      ADD COLUMN session_idle_minutes integer NOT NULL DEFAULT 720 CHECK (session_idle_minutes BETWEEN 5 AND 10080);

    CREATE SCHEMA roshni_auth;
    REVOKE ALL ON SCHEMA roshni_auth FROM PUBLIC;

    -- Salts for usernames that do not exist are derived from this, so the challenge does not tell who exists.
    CREATE TABLE roshni_auth.secret (
      only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
      value bytea NOT NULL
    );
    INSERT INTO roshni_auth.secret (value)
      VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')));

    CREATE TABLE roshni_auth.passwords (
      staff_user_id integer PRIMARY KEY REFERENCES public.staff_users (id) ON DELETE CASCADE,
      scheme text NOT NULL CHECK (scheme ~ '^scrypt:[0-9]+:[0-9]+:[0-9]+$'),
      salt bytea NOT NULL CHECK (length(salt) >= 16),
      verifier bytea NOT NULL CHECK (length(verifier) = 32),
      set_at timestamptz NOT NULL DEFAULT now(),
      -- An admin's reset: the member of staff must choose their own at the next sign-in.
      must_change boolean NOT NULL DEFAULT false
    );

    CREATE TABLE roshni_auth.sessions (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      token_hash bytea NOT NULL UNIQUE,
      staff_user_id integer NOT NULL REFERENCES public.staff_users (id) ON DELETE CASCADE,
      machine text NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      ended_at timestamptz,
      ended_why text CHECK (ended_why IN ('logout', 'revoked', 'password changed', 'deactivated', 'restored')),
      CHECK ((ended_at IS NULL) = (ended_why IS NULL))
    );
    CREATE INDEX sessions_live_idx ON roshni_auth.sessions (staff_user_id) WHERE ended_at IS NULL;

    CREATE TABLE roshni_auth.failures (
      username text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX failures_username_idx ON roshni_auth.failures (username, at);

    CREATE FUNCTION roshni_auth.idle_minutes() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT coalesce((SELECT session_idle_minutes FROM public.clinic_settings ORDER BY id LIMIT 1), 720)
    $$;

    -- The live session a token opens, if any: a session ends at logout, revocation, a password change,
    -- deactivation, or after the clinic's idle time without a command.
    CREATE FUNCTION roshni_auth.live_session(token text)
      RETURNS TABLE (session_id integer, staff_user_id integer, role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT s.id, u.id, u.role::text
      FROM roshni_auth.sessions s JOIN public.staff_users u ON u.id = s.staff_user_id
      WHERE token IS NOT NULL AND s.token_hash = sha256(convert_to(token, 'UTF8'))
        AND s.ended_at IS NULL AND u.active
        AND s.last_seen_at > now() - make_interval(mins => roshni_auth.idle_minutes())
    $$;

    -- The salt and cost a username's password is stretched with. A username that does not exist gets a
    -- salt derived from the secret, the same each time, so the answer does not tell who exists.
    CREATE FUNCTION roshni_auth.sign_in_challenge(who text) RETURNS TABLE (scheme text, salt bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT coalesce(p.scheme, 'scrypt:32768:8:1'),
             coalesce(p.salt, substring(sha256((SELECT value FROM roshni_auth.secret) || convert_to(lower(btrim(who)), 'UTF8')) FROM 1 FOR 16))
      FROM (SELECT 1) AS one
      LEFT JOIN public.staff_users u ON u.username = lower(btrim(who))
      LEFT JOIN roshni_auth.passwords p ON p.staff_user_id = u.id
    $$;

    CREATE FUNCTION roshni_auth.audit(actor_id integer, actor_role text, action text, staff_user_id integer, outcome text, meta jsonb)
      RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      INSERT INTO public.audit_log (actor_kind, actor_id, actor_role, action, entity, entity_id, outcome, meta)
      VALUES (CASE WHEN actor_id IS NULL THEN 'system' ELSE 'staff' END, actor_id, coalesce(actor_role, 'system'), action,
              'staff_user', staff_user_id::text, outcome, meta)
    $$;
    REVOKE ALL ON FUNCTION roshni_auth.audit(integer, text, text, integer, text, jsonb) FROM PUBLIC;

    -- Signs in: a new session token for the right proof. A wrong one is counted (never raised, so the
    -- count and the audit entry stay): after three failures in an hour each further try must wait,
    -- 30 s doubling up to 15 minutes, whatever the proof.
    CREATE FUNCTION roshni_auth.sign_in(who text, proof bytea, machine text)
      RETURNS TABLE (outcome text, token text, retry_after_seconds integer, staff_user_id integer, role text, must_change boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      name text := lower(btrim(who));
      failed integer;
      last_failed timestamptz;
      allowed_at timestamptz;
      member record;
      new_token text;
    BEGIN
      -- Attempts at one username take turns, so that guesses sent in parallel are all counted.
      PERFORM pg_advisory_xact_lock(hashtext('roshni_auth.sign_in'), hashtext(name));
      SELECT count(*), max(f.at) INTO failed, last_failed
        FROM roshni_auth.failures f WHERE f.username = name AND f.at > now() - interval '1 hour';
      SELECT u.id, u.role::text AS role, u.active, p.verifier, p.must_change INTO member
        FROM public.staff_users u LEFT JOIN roshni_auth.passwords p ON p.staff_user_id = u.id
        WHERE u.username = name;
      IF failed >= 3 THEN
        allowed_at := last_failed + least(interval '15 minutes', interval '30 seconds' * power(2, failed - 3));
        IF allowed_at > now() THEN
          PERFORM roshni_auth.audit(NULL, NULL, 'staff.sign_in', member.id, 'denied', jsonb_build_object('reason', 'too many failures'));
          RETURN QUERY SELECT 'throttled', NULL::text, ceil(extract(epoch FROM allowed_at - now()))::integer,
                              NULL::integer, NULL::text, NULL::boolean;
          RETURN;
        END IF;
      END IF;
      IF member.id IS NULL OR NOT member.active OR member.verifier IS NULL OR sha256(proof) <> member.verifier THEN
        INSERT INTO roshni_auth.failures (username) VALUES (name);
        PERFORM roshni_auth.audit(NULL, NULL, 'staff.sign_in', member.id, 'denied', jsonb_build_object('reason',
          CASE WHEN member.id IS NULL THEN 'unknown username' WHEN NOT member.active THEN 'deactivated'
               WHEN member.verifier IS NULL THEN 'no password set' ELSE 'wrong password' END));
        RETURN QUERY SELECT 'refused', NULL::text, NULL::integer, NULL::integer, NULL::text, NULL::boolean;
        RETURN;
      END IF;
      new_token := 'rsh_' || encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')), 'hex');
      INSERT INTO roshni_auth.sessions (token_hash, staff_user_id, machine)
        VALUES (sha256(convert_to(new_token, 'UTF8')), member.id, left(coalesce(machine, ''), 200));
      DELETE FROM roshni_auth.failures f WHERE f.username = name;
      PERFORM roshni_auth.audit(member.id, member.role, 'staff.sign_in', member.id, 'ok', NULL);
      RETURN QUERY SELECT 'ok', new_token, NULL::integer, member.id, member.role, member.must_change;
    END $$;

    -- Every command starts here: the session's member of staff, if it is live and used from the machine
    -- (and operating-system user) that signed in, and a fresh idle clock.
    -- One round trip for a command's start: who it is, as the domain needs them. The session is marked
    -- as seen at most once a minute, so that most commands write nothing (and wait for no disk) to resume.
    CREATE FUNCTION roshni_auth.resume(token text, machine text)
      RETURNS TABLE (session_id integer, staff_user_id integer, role text, must_change boolean, username text, therapist_id integer)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      WITH live AS (
        SELECT l.session_id, l.staff_user_id, l.role, s.last_seen_at
        FROM roshni_auth.live_session(token) l JOIN roshni_auth.sessions s ON s.id = l.session_id
        WHERE s.machine = left(coalesce(resume.machine, ''), 200)
      ), seen AS (
        UPDATE roshni_auth.sessions s SET last_seen_at = now()
        FROM live WHERE s.id = live.session_id AND live.last_seen_at < now() - interval '1 minute'
      )
      SELECT live.session_id, live.staff_user_id, live.role,
        coalesce((SELECT p.must_change FROM roshni_auth.passwords p WHERE p.staff_user_id = live.staff_user_id), false),
        (SELECT u.username FROM public.staff_users u WHERE u.id = live.staff_user_id),
        (SELECT t.id FROM public.therapists t WHERE t.staff_user_id = live.staff_user_id)
      FROM live
    $$;

    -- Logout: the token opens nothing any more.
    CREATE FUNCTION roshni_auth.sign_out(token text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE ended record;
    BEGIN
      UPDATE roshni_auth.sessions s SET ended_at = now(), ended_why = 'logout'
        WHERE s.token_hash = sha256(convert_to(token, 'UTF8')) AND s.ended_at IS NULL
        RETURNING s.staff_user_id INTO ended;
      IF NOT FOUND THEN RETURN false; END IF;
      PERFORM roshni_auth.audit(ended.staff_user_id, (SELECT u.role::text FROM public.staff_users u WHERE u.id = ended.staff_user_id),
                                'staff.sign_out', ended.staff_user_id, 'ok', NULL);
      RETURN true;
    END $$;

    -- The member of staff whose live session this transaction presents (for the functions below).
    CREATE FUNCTION roshni_auth.caller() RETURNS TABLE (session_id integer, staff_user_id integer, role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT * FROM roshni_auth.live_session(nullif(current_setting('roshni.session', true), ''))
    $$;

    -- Sets a password: one's own (with proof of the current one), or anyone's by an admin (who must then
    -- be told the new one by its owner changing it: must_change). Every live session of that person ends.
    -- With no active admin who has a password yet (a new clinic), the first admin's is set by whoever runs init.
    CREATE FUNCTION roshni_auth.set_password(target integer, current_proof bytea, new_scheme text, new_salt bytea,
                                             new_verifier bytea, reset boolean)
      RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      me record;
      target_role text;
      bootstrap boolean;
    BEGIN
      SELECT * INTO me FROM roshni_auth.caller();
      SELECT u.role::text INTO target_role FROM public.staff_users u WHERE u.id = target AND u.active;
      IF target_role IS NULL THEN RETURN 'no such staff user'; END IF;
      bootstrap := roshni_auth.needs_first_admin();
      IF me.staff_user_id IS NULL AND NOT (bootstrap AND target_role = 'admin') THEN
        RETURN 'not signed in';
      END IF;
      IF me.staff_user_id = target THEN
        IF NOT EXISTS (SELECT 1 FROM roshni_auth.passwords p WHERE p.staff_user_id = target AND p.verifier = sha256(current_proof)) THEN
          PERFORM roshni_auth.audit(me.staff_user_id, me.role, 'staff.password', target, 'denied', jsonb_build_object('reason', 'wrong password'));
          RETURN 'wrong current password';
        END IF;
      ELSIF me.staff_user_id IS NOT NULL AND me.role <> 'admin' THEN
        PERFORM roshni_auth.audit(me.staff_user_id, me.role, 'staff.password', target, 'denied', jsonb_build_object('reason', 'not an admin'));
        RETURN 'not an admin';
      END IF;
      INSERT INTO roshni_auth.passwords AS p (staff_user_id, scheme, salt, verifier, must_change)
        VALUES (target, new_scheme, new_salt, new_verifier, reset)
        ON CONFLICT (staff_user_id) DO UPDATE
          SET scheme = excluded.scheme, salt = excluded.salt, verifier = excluded.verifier, set_at = now(), must_change = excluded.must_change;
      UPDATE roshni_auth.sessions s SET ended_at = now(), ended_why = 'password changed'
        WHERE s.staff_user_id = target AND s.ended_at IS NULL AND s.id IS DISTINCT FROM me.session_id;
      PERFORM roshni_auth.audit(me.staff_user_id, me.role, 'staff.password', target, 'ok',
                                jsonb_build_object('reset', reset, 'first_admin', me.staff_user_id IS NULL));
      RETURN 'ok';
    END $$;

    -- A new clinic: no active admin can sign in yet, so roshni init creates the first one.
    CREATE FUNCTION roshni_auth.needs_first_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT NOT EXISTS (SELECT 1 FROM public.staff_users u JOIN roshni_auth.passwords p ON p.staff_user_id = u.id
                         WHERE u.role = 'admin' AND u.active)
    $$;

    -- Sessions, for an admin (everyone's) or a member of staff (their own).
    CREATE FUNCTION roshni_auth.list_sessions()
      RETURNS TABLE (id integer, staff_user_id integer, machine text, started_at timestamptz, last_seen_at timestamptz,
                     idle_until timestamptz, current boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT s.id, s.staff_user_id, s.machine, s.started_at, s.last_seen_at,
             s.last_seen_at + make_interval(mins => roshni_auth.idle_minutes()), s.id = me.session_id
      FROM roshni_auth.sessions s JOIN public.staff_users u ON u.id = s.staff_user_id, roshni_auth.caller() me
      WHERE s.ended_at IS NULL AND u.active
        AND s.last_seen_at > now() - make_interval(mins => roshni_auth.idle_minutes())
        AND (me.role = 'admin' OR s.staff_user_id = me.staff_user_id)
      ORDER BY s.last_seen_at DESC
    $$;

    -- Ends sessions by an admin: one (by id) or all of one member of staff.
    CREATE FUNCTION roshni_auth.revoke_sessions(session integer, member integer) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      me record;
      ended integer;
    BEGIN
      SELECT * INTO me FROM roshni_auth.caller();
      IF me.role IS DISTINCT FROM 'admin' THEN RETURN NULL; END IF;
      UPDATE roshni_auth.sessions s SET ended_at = now(), ended_why = 'revoked'
        WHERE s.id IN (SELECT l.id FROM roshni_auth.sessions l
                       WHERE l.ended_at IS NULL AND l.last_seen_at > now() - make_interval(mins => roshni_auth.idle_minutes())
                         AND (l.id = session OR l.staff_user_id = member));
      GET DIAGNOSTICS ended = ROW_COUNT;
      PERFORM roshni_auth.audit(me.staff_user_id, me.role, 'staff.revoke', member, 'ok',
                                jsonb_build_object('session', session, 'ended', ended));
      RETURN ended;
    END $$;

    -- Deactivating someone ends their sessions at once (live_session also refuses inactive staff).
    CREATE FUNCTION roshni_auth.end_sessions_of_deactivated() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      UPDATE roshni_auth.sessions s SET ended_at = now(), ended_why = 'deactivated'
        WHERE s.staff_user_id = NEW.id AND s.ended_at IS NULL;
      RETURN NEW;
    END $$;
    CREATE TRIGGER staff_users_end_sessions AFTER UPDATE OF active ON public.staff_users
      FOR EACH ROW WHEN (OLD.active AND NOT NEW.active) EXECUTE FUNCTION roshni_auth.end_sessions_of_deactivated();

    -- Who acts in this transaction, as the policies see it. Staff: only through a live session. Patients
    -- and guardians: only when the bots (roshni_service) say so. The system: only roshni_service's jobs,
    -- and the tables' owner. A plain setting naming a role or a staff id is believed by no one.
    CREATE TYPE public.roshni_actor AS (role text, staff_id integer, patient_id integer, guardian_id integer);
    CREATE FUNCTION public.roshni_current_actor() RETURNS public.roshni_actor
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
      staff record;
      speaks_for_patients boolean := EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_service')
                                     AND pg_has_role(current_user, 'roshni_service', 'MEMBER');
      declared text := nullif(current_setting('roshni.actor_role', true), '');
    BEGIN
      SELECT * INTO staff FROM roshni_auth.live_session(nullif(current_setting('roshni.session', true), ''));
      IF FOUND THEN
        RETURN ROW(staff.role, staff.staff_user_id, NULL, NULL)::public.roshni_actor;
      END IF;
      IF speaks_for_patients AND declared = 'patient' THEN
        RETURN ROW('patient', NULL, nullif(current_setting('roshni.patient_id', true), '')::integer, NULL)::public.roshni_actor;
      ELSIF speaks_for_patients AND declared = 'guardian' THEN
        RETURN ROW('guardian', NULL, NULL, nullif(current_setting('roshni.guardian_id', true), '')::integer)::public.roshni_actor;
      ELSIF speaks_for_patients AND declared = 'system' THEN
        RETURN ROW('system', NULL, NULL, NULL)::public.roshni_actor;
      END IF;
      RETURN ROW(NULL, NULL, NULL, NULL)::public.roshni_actor;
    END $$;

    -- A therapist's own patients: those the desk or an admin assigned to her, and those she has seen (a
    -- session of hers completed, or under way). A booking alone opens nothing: anyone at the desk, or a
    -- chat, can make one. The domain's rule is the same (src/domain/clinical/treating-therapist.ts).
    CREATE TABLE patient_therapists (
      patient_id integer NOT NULL REFERENCES patients (id),
      therapist_id integer NOT NULL REFERENCES therapists (id),
      assigned_at timestamptz NOT NULL DEFAULT now(),
      assigned_by_staff_id integer REFERENCES staff_users (id),
      PRIMARY KEY (patient_id, therapist_id)
    );
    CREATE FUNCTION public.roshni_treats(staff_id integer, patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.patient_therapists pt JOIN public.therapists t ON t.id = pt.therapist_id
        WHERE pt.patient_id = patient AND t.staff_user_id = staff_id)
      OR EXISTS (
        SELECT 1 FROM public.appointments a JOIN public.therapists t ON t.id = a.therapist_id
        WHERE a.patient_id = patient AND a.status IN ('in_progress', 'completed') AND t.staff_user_id = staff_id)
    $$;
    -- Session notes, assessments, goals: admins all, a therapist their own patients', no one else.
    CREATE FUNCTION public.roshni_may_see_clinical(patient integer, who public.roshni_actor) RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT CASE who.role
        WHEN 'admin' THEN true
        WHEN 'therapist' THEN public.roshni_treats(who.staff_id, patient)
        ELSE false
      END
    $$;
    -- Documents by access level (src/domain/documents/access.ts); a patient or guardian the family's own
    -- and the files they sent by chat.
    CREATE FUNCTION public.roshni_may_see_document(patient integer, level document_access, from_chat boolean, who public.roshni_actor)
      RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT CASE who.role
        WHEN 'system' THEN true
        WHEN 'admin' THEN true
        WHEN 'therapist' THEN level <> 'admin' AND public.roshni_treats(who.staff_id, patient)
        WHEN 'receptionist' THEN level IN ('patient', 'family')
        WHEN 'patient' THEN (level IN ('patient', 'family') OR from_chat) AND patient = who.patient_id
        WHEN 'guardian' THEN (level IN ('patient', 'family') OR from_chat) AND EXISTS (
          SELECT 1 FROM public.patient_guardians pg WHERE pg.patient_id = patient AND pg.guardian_id = who.guardian_id)
        ELSE false
      END
    $$;

    -- Whose record an id names, and nothing of its text: the domain asks this before it checks (and
    -- audits) an actor's access, which row security would otherwise turn into "not found".
    CREATE FUNCTION public.roshni_locate_clinical(kind text, key integer)
      RETURNS TABLE (id integer, patient_id integer, therapist_id integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      CASE kind
        WHEN 'therapy_session' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.therapy_sessions r WHERE r.id = key;
        WHEN 'therapy_session_of_appointment' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.therapy_sessions r WHERE r.appointment_id = key;
        WHEN 'assessment' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.assessments r WHERE r.id = key;
        WHEN 'goal' THEN
          RETURN QUERY SELECT r.id, r.patient_id, r.therapist_id FROM public.goals r WHERE r.id = key;
        ELSE
          RAISE EXCEPTION 'roshni_locate_clinical: unknown kind %', kind;
      END CASE;
    END $$;
    -- A document's owner, level and state, to decide access before reading it.
    CREATE FUNCTION public.roshni_document_facts(key integer)
      RETURNS TABLE (id integer, patient_id integer, access_level document_access, sha256 text,
                     removed_at timestamptz, removed_reason text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT d.id, d.patient_id, d.access_level, d.sha256, d.removed_at, d.removed_reason FROM public.documents d WHERE d.id = key
    $$;
    -- Whether any patient's live document still uses a stored content (before deleting the content).
    CREATE FUNCTION public.roshni_content_in_use(content text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      SELECT EXISTS (SELECT 1 FROM public.documents d WHERE d.sha256 = content AND d.removed_at IS NULL)
    $$;

    -- The actor is worked out once per statement (an InitPlan), not once per row.
    DROP POLICY clinical_access ON therapy_sessions;
    CREATE POLICY clinical_access ON therapy_sessions
      USING (roshni_may_see_clinical(patient_id, (SELECT roshni_current_actor())))
      WITH CHECK (roshni_may_see_clinical(patient_id, (SELECT roshni_current_actor())));
    DROP POLICY clinical_access ON assessments;
    CREATE POLICY clinical_access ON assessments
      USING (roshni_may_see_clinical(patient_id, (SELECT roshni_current_actor())))
      WITH CHECK (roshni_may_see_clinical(patient_id, (SELECT roshni_current_actor())));
    DROP POLICY clinical_access ON goals;
    CREATE POLICY clinical_access ON goals
      USING (roshni_may_see_clinical(patient_id, (SELECT roshni_current_actor())))
      WITH CHECK (roshni_may_see_clinical(patient_id, (SELECT roshni_current_actor())));
    DROP POLICY document_access ON documents;
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli', (SELECT roshni_current_actor())))
      WITH CHECK (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli', (SELECT roshni_current_actor())));

    -- What 0010 and 0012 trusted (settings any session could set) goes.
    DROP FUNCTION roshni_may_see_document(integer, document_access, boolean);
    DROP FUNCTION roshni_may_see_document(integer, document_access);
    DROP FUNCTION roshni_may_see_clinical(integer);
    DROP FUNCTION roshni_actor_treats(integer);
    DROP FUNCTION roshni_actor_id(text);
    DROP FUNCTION roshni_actor_role();

    -- The roles (created when the migrating user may, like roshni_app in 0010; run again after every
    -- migration and restore): roshni_staff for desk computers, roshni_service for roshni start.
    CREATE FUNCTION roshni_auth.grant_roles() RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
      role_name text;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_app') THEN RETURN false; END IF;
      FOREACH role_name IN ARRAY ARRAY['roshni_staff', 'roshni_service'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
          BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
          EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN RETURN false;
          END;
        END IF;
        IF pg_catalog.current_setting('server_version_num')::integer >= 160000 THEN
          IF NOT pg_catalog.pg_has_role(current_user, role_name, 'SET') THEN
            EXECUTE format('GRANT %I TO %I WITH SET TRUE', role_name, current_user);
          END IF;
        ELSIF NOT pg_catalog.pg_has_role(current_user, role_name, 'MEMBER') THEN
          EXECUTE format('GRANT %I TO %I', role_name, current_user);
        END IF;
      END LOOP;
      -- A desk computer has the application's grants; who it is comes only from a session.
      -- (Only when missing: granting needs the admin option on roshni_app, which a DBA-made owner lacks.)
      IF NOT pg_catalog.pg_has_role('roshni_staff', 'roshni_app', 'MEMBER') THEN
        GRANT roshni_app TO roshni_staff;
      END IF;
      GRANT USAGE ON SCHEMA roshni_auth TO roshni_app, roshni_service;
      -- roshni start (bots, webhooks, jobs): every table but the clinical records.
      GRANT USAGE ON SCHEMA public TO roshni_service;
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO roshni_service;
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO roshni_service;
      REVOKE ALL ON public.therapy_sessions, public.assessments, public.goals, public.goal_measurements FROM roshni_service;
      -- Which session a document was filed to (its appointment), never what the notes say.
      GRANT SELECT (id, appointment_id, patient_id, therapist_id) ON public.therapy_sessions TO roshni_service;
      REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_log FROM roshni_service;
      REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.kysely_migration, public.kysely_migration_lock FROM roshni_service;
      -- The audit log's own (migration 0018), once there.
      IF to_regprocedure('roshni_auth.grant_audit_log()') IS NOT NULL THEN PERFORM roshni_auth.grant_audit_log(); END IF;
      RETURN true;
    END $$;
    SELECT roshni_auth.grant_roles();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION roshni_actor_role() RETURNS text LANGUAGE sql STABLE AS $$
      SELECT nullif(current_setting('roshni.actor_role', true), '')
    $$;
    CREATE FUNCTION roshni_actor_id(setting text) RETURNS integer LANGUAGE sql STABLE AS $$
      SELECT nullif(current_setting(setting, true), '')::integer
    $$;
    CREATE FUNCTION roshni_actor_treats(patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.appointments a JOIN public.therapists t ON t.id = a.therapist_id
        WHERE a.patient_id = patient AND a.status <> 'cancelled'
          AND t.staff_user_id = public.roshni_actor_id('roshni.staff_id'))
    $$;
    CREATE FUNCTION roshni_may_see_clinical(patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT CASE public.roshni_actor_role()
        WHEN 'system' THEN true WHEN 'admin' THEN true
        WHEN 'therapist' THEN public.roshni_actor_treats(patient) ELSE false END
    $$;
    CREATE FUNCTION roshni_may_see_document(patient integer, level document_access) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT CASE public.roshni_actor_role()
        WHEN 'system' THEN true WHEN 'admin' THEN true
        WHEN 'therapist' THEN level <> 'admin' AND public.roshni_actor_treats(patient)
        WHEN 'receptionist' THEN level IN ('patient', 'family')
        WHEN 'patient' THEN patient = public.roshni_actor_id('roshni.patient_id')
        WHEN 'guardian' THEN EXISTS (
          SELECT 1 FROM public.patient_guardians pg
          WHERE pg.patient_id = patient AND pg.guardian_id = public.roshni_actor_id('roshni.guardian_id'))
        ELSE false END
    $$;
    CREATE FUNCTION roshni_may_see_document(patient integer, level document_access, from_chat boolean) RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT public.roshni_may_see_document(patient, level)
        AND (public.roshni_actor_role() NOT IN ('patient', 'guardian') OR level IN ('patient', 'family') OR from_chat)
    $$;
    DROP POLICY clinical_access ON therapy_sessions;
    CREATE POLICY clinical_access ON therapy_sessions
      USING (roshni_may_see_clinical(patient_id)) WITH CHECK (roshni_may_see_clinical(patient_id));
    DROP POLICY clinical_access ON assessments;
    CREATE POLICY clinical_access ON assessments
      USING (roshni_may_see_clinical(patient_id)) WITH CHECK (roshni_may_see_clinical(patient_id));
    DROP POLICY clinical_access ON goals;
    CREATE POLICY clinical_access ON goals
      USING (roshni_may_see_clinical(patient_id)) WITH CHECK (roshni_may_see_clinical(patient_id));
    DROP POLICY document_access ON documents;
    CREATE POLICY document_access ON documents
      USING (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli'))
      WITH CHECK (roshni_may_see_document(patient_id, access_level, uploaded_via <> 'cli'));

    DROP TRIGGER staff_users_end_sessions ON public.staff_users;
    DROP FUNCTION public.roshni_content_in_use(text);
    DROP FUNCTION public.roshni_document_facts(integer);
    DROP FUNCTION public.roshni_locate_clinical(text, integer);
    DROP FUNCTION public.roshni_may_see_document(integer, document_access, boolean, public.roshni_actor);
    DROP FUNCTION public.roshni_may_see_clinical(integer, public.roshni_actor);
    DROP FUNCTION public.roshni_treats(integer, integer);
    DROP TABLE patient_therapists;
    DROP FUNCTION public.roshni_current_actor();
    DROP TYPE public.roshni_actor;
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_service') THEN
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM roshni_service;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM roshni_service;
        REVOKE ALL ON SCHEMA public FROM roshni_service;
        REVOKE ALL ON SCHEMA roshni_auth FROM roshni_service;
      END IF;
      IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_app') THEN
        REVOKE ALL ON SCHEMA roshni_auth FROM roshni_app;
      END IF;
    END $$;
    DROP SCHEMA roshni_auth CASCADE;
    ALTER TABLE clinic_settings DROP COLUMN session_idle_minutes;
  `.execute(db);
}
