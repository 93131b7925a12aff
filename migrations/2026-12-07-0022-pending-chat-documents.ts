import { sql, type Kysely } from 'kysely';

// A document sent by a guardian of several children waits here, in the database, while the bot asks
// whose it is: nothing reaches the document store (the disk) before it is filed to a patient's record.
// A pending document expires after an hour and is deleted (roshni start's pending-documents job, and
// each new one sweeps); erasing the family's chats deletes theirs with them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE pending_chat_documents (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      conversation_id integer NOT NULL REFERENCES bot_conversations (id) ON DELETE CASCADE,
      original_name text,
      content bytea NOT NULL,
      received_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      CHECK (expires_at > received_at)
    );
    CREATE INDEX pending_chat_documents_expiry_idx ON pending_chat_documents (expires_at);
    CREATE INDEX pending_chat_documents_conversation_idx ON pending_chat_documents (conversation_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE pending_chat_documents`.execute(db);
}
