import { sql, type Kysely } from 'kysely';

// Telegram's limit (about 30 messages a second) is per bot, not per process: every `roshni start`
// sending through the same bot reserves its next send time here, so together they stay under it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE send_pacing (
      channel text PRIMARY KEY,
      -- The earliest time the next send may go; each send moves it on by the channel's gap.
      next_at timestamptz NOT NULL
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE send_pacing`.execute(db);
}
