import { sql, type Kysely } from 'kysely';

// A webhook is applied once per what it says, not only per the id in its (unsigned) header: Razorpay's
// X-Razorpay-Event-Id is not covered by the signature, so a signed body replayed under a new event id
// would otherwise be a new event. `payload_key` is the event and the id of the entity it is about, both
// from the signed body ("payment.captured:pay_…"); one row per key and provider.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE webhook_events ADD COLUMN payload_key text;
    CREATE UNIQUE INDEX webhook_events_payload_key_idx ON webhook_events (provider, payload_key) WHERE payload_key IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX webhook_events_payload_key_idx;
    ALTER TABLE webhook_events DROP COLUMN payload_key;
  `.execute(db);
}
