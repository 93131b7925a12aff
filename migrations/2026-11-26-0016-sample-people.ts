import { sql, type Kysely } from 'kysely';

// The people `roshni demo` makes up have real-looking phone numbers and addresses that may belong to
// strangers. They are marked, and the dispatcher never sends to a sample person's stored phone or
// email: only to a Telegram or WhatsApp chat that someone linked to the bot themselves.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE patients ADD COLUMN sample boolean NOT NULL DEFAULT false;
    ALTER TABLE guardians ADD COLUMN sample boolean NOT NULL DEFAULT false;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE guardians DROP COLUMN sample;
    ALTER TABLE patients DROP COLUMN sample;
  `.execute(db);
}
