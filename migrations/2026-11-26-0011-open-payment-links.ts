import { sql, type Kysely } from 'kysely';

// One open Razorpay payment link per appointment: asking again hands out the same link, so its
// address is kept; a link for a different amount replaces the old one, cancelled at Razorpay first.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payments ADD COLUMN razorpay_short_url text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payments DROP COLUMN razorpay_short_url`.execute(db);
}
