import { sql, type Kysely } from 'kysely';

// Chats' raw updates (updates_in_hand, 0026) and conversation state (bot_conversations) are the bots'
// (`roshni start`, as roshni_service, which keeps all of both). A desk computer (roshni_staff) keeps only
// what its commands read, whoever is signed in:
// - updates_in_hand: nobody at a desk reads an update. An admin's erasure deletes a chat's updates by
//   channel and chat id (src/domain/messaging/updates-in-hand.ts): roshni_app keeps SELECT on those two
//   columns and DELETE, and row security shows the rows to an admin's session only.
// - bot_conversations: the inbox shows receptionists and therapists the chats handed to the clinic; an
//   admin's export, erasure and retention read every chat. The terminal's chats (`roshni chat`, a trial
//   at the desk, signed in to run at all) are the desk's own: the engine reads and writes them there with
//   no session of its own in the transaction.
// Column privileges are given again after every migration and restore by roshni_auth.grant_roles(), which
// ends with grant_audit_log(): that now calls what it did before (kept as grant_audit_log_and_ledger)
// and then grant_chat_tables(), which takes updates_in_hand back from roshni_app.
// A desk is any member of roshni_staff: a desk login that did not step down (or RESET ROLE) is one too.
// The tables' owner is also a member (to step down), but row security does not bind it here.
const AT_A_DESK = `(SELECT public.roshni_at_a_desk())`;
const SIGNED_IN_AS = `((SELECT public.roshni_current_actor())).role`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
    CREATE FUNCTION public.roshni_at_a_desk() RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'roshni_staff') THEN RETURN false; END IF;
      RETURN pg_catalog.pg_has_role(current_user, 'roshni_staff', 'MEMBER');
    END $$;

    ALTER TABLE updates_in_hand ENABLE ROW LEVEL SECURITY;
    CREATE POLICY erased_by_an_admin ON updates_in_hand
      USING (NOT ${AT_A_DESK} OR ${SIGNED_IN_AS} = 'admin');

    ALTER TABLE bot_conversations ENABLE ROW LEVEL SECURITY;
    CREATE POLICY handed_to_the_desk ON bot_conversations
      USING (NOT ${AT_A_DESK} OR channel = 'terminal' OR ${SIGNED_IN_AS} = 'admin'
             OR (${SIGNED_IN_AS} IN ('receptionist', 'therapist') AND handed_to_staff_at IS NOT NULL));

    CREATE FUNCTION roshni_auth.grant_chat_tables() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF to_regclass('public.updates_in_hand') IS NOT NULL THEN
        REVOKE ALL ON public.updates_in_hand FROM PUBLIC, roshni_app;
        GRANT SELECT (channel, chat_id), DELETE ON public.updates_in_hand TO roshni_app;
      END IF;
    END $$;
    ALTER FUNCTION roshni_auth.grant_audit_log() RENAME TO grant_audit_log_and_ledger;
    CREATE FUNCTION roshni_auth.grant_audit_log() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM roshni_auth.grant_audit_log_and_ledger();
      PERFORM roshni_auth.grant_chat_tables();
    END $$;
    SELECT roshni_auth.grant_roles();
  `,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP FUNCTION roshni_auth.grant_audit_log();
    ALTER FUNCTION roshni_auth.grant_audit_log_and_ledger() RENAME TO grant_audit_log;
    DROP FUNCTION roshni_auth.grant_chat_tables();
    DROP POLICY handed_to_the_desk ON bot_conversations;
    ALTER TABLE bot_conversations DISABLE ROW LEVEL SECURITY;
    DROP POLICY erased_by_an_admin ON updates_in_hand;
    ALTER TABLE updates_in_hand DISABLE ROW LEVEL SECURITY;
    DROP FUNCTION public.roshni_at_a_desk();
    SELECT roshni_grant_app_role();
    SELECT roshni_auth.grant_roles();
  `.execute(db);
}
