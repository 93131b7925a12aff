import { sql, type Kysely } from 'kysely';

// Telegram updates a bot has taken and not yet handled, kept here so that long polling can tell
// Telegram to let go of them while one is slow (src/bot/channels/telegram-parts.ts): one slow chat
// then holds up only itself. A row is written only once an update holds the offset back (it is
// slow, or many handled ones wait behind it), deleted once it is handled, and handled at the next
// start if a stop or a crash cut it. The raw update holds what the family wrote: an erasure deletes
// their chats' rows (src/domain/data-rights/erase.ts), as it deletes the chats themselves.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE updates_in_hand (
      channel chat_channel NOT NULL,
      bot_id bigint NOT NULL,
      update_id bigint NOT NULL,
      chat_id text NOT NULL,
      "update" jsonb NOT NULL,
      taken_at timestamptz NOT NULL,
      PRIMARY KEY (channel, bot_id, update_id)
    );
    CREATE INDEX updates_in_hand_chat_idx ON updates_in_hand (channel, chat_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE updates_in_hand`.execute(db);
}
