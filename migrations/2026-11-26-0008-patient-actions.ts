import { sql, type Kysely } from 'kysely';

// Messages patients act on (#10): who confirmed and how, the late-cancellation / no-show charge,
// and whether that charge is first drawn from a package session.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE clinic_settings
      -- A late cancellation or no-show first uses up a session of a package covering the service;
      -- only without one is the fee charged.
      ADD COLUMN policy_draws_package boolean NOT NULL DEFAULT false,
      -- When each therapist gets the day's schedule (clinic time); NULL: no daily summary.
      ADD COLUMN therapist_summary_at time;

    ALTER TABLE appointments
      ADD COLUMN confirmed_via booking_channel,
      -- What a cancelled or missed appointment still costs (the clinic's policy fee); NULL: nothing.
      ADD COLUMN policy_fee_paise integer CHECK (policy_fee_paise > 0),
      ADD CONSTRAINT appointments_policy_fee_when_missed
        CHECK (policy_fee_paise IS NULL OR status IN ('cancelled', 'no_show'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE appointments DROP CONSTRAINT appointments_policy_fee_when_missed,
      DROP COLUMN policy_fee_paise, DROP COLUMN confirmed_via;
    ALTER TABLE clinic_settings DROP COLUMN policy_draws_package, DROP COLUMN therapist_summary_at;
  `.execute(db);
}
