import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TYPE notification_state AS ENUM ('pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled');

    -- The outbox: written in the same transaction as the change that causes the message.
    CREATE TABLE notifications (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      idempotency_key text NOT NULL UNIQUE,
      kind text NOT NULL,
      patient_id integer REFERENCES patients (id),
      guardian_id integer REFERENCES guardians (id),
      staff_user_id integer REFERENCES staff_users (id),
      appointment_id integer REFERENCES appointments (id),
      channel contact_channel,
      language contact_language NOT NULL DEFAULT 'en',
      payload jsonb NOT NULL DEFAULT '{}',
      state notification_state NOT NULL DEFAULT 'pending',
      due_at timestamptz NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      claimed_by text,
      claimed_until timestamptz,
      last_error text,
      provider_message_id text,
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (patient_id IS NOT NULL OR guardian_id IS NOT NULL OR staff_user_id IS NOT NULL)
    );
    CREATE INDEX notifications_due_idx ON notifications (coalesce(next_attempt_at, due_at))
      WHERE state IN ('pending', 'sending');
    CREATE INDEX notifications_appointment_idx ON notifications (appointment_id);
    CREATE TRIGGER notifications_updated_at BEFORE UPDATE ON notifications
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TYPE chat_channel AS ENUM ('telegram', 'whatsapp', 'terminal');

    -- Conversation state of the patient bots, versioned so that an older flow restarts politely.
    CREATE TABLE bot_conversations (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      channel chat_channel NOT NULL,
      chat_id text NOT NULL,
      patient_id integer REFERENCES patients (id),
      guardian_id integer REFERENCES guardians (id),
      language contact_language NOT NULL DEFAULT 'en',
      state jsonb NOT NULL DEFAULT '{}',
      state_version integer NOT NULL DEFAULT 1,
      handed_to_staff_at timestamptz,
      last_message_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (channel, chat_id)
    );
    CREATE TRIGGER bot_conversations_updated_at BEFORE UPDATE ON bot_conversations
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    -- "Talk to the clinic": messages between a chat and the staff inbox.
    CREATE TABLE inbox_messages (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      conversation_id integer NOT NULL REFERENCES bot_conversations (id),
      direction text NOT NULL CHECK (direction IN ('in', 'out')),
      body text NOT NULL,
      staff_user_id integer REFERENCES staff_users (id),
      read_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX inbox_messages_conversation_idx ON inbox_messages (conversation_id, created_at);

    -- Incoming webhooks, deduplicated by the provider's event id.
    CREATE TABLE webhook_events (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      provider text NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      outcome text,
      UNIQUE (provider, event_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE webhook_events, inbox_messages, bot_conversations, notifications;
    DROP TYPE chat_channel, notification_state;
  `.execute(db);
}
