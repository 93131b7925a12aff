import { sql, type Kysely } from 'kysely';

// Whom a message is about, apart from whom it goes to: a reminder or a waitlist offer sent to a
// guardian is about their child. Erasure cancels and empties every message about the patient, and
// the patient's export lists them, by this column (a waitlist offer has no appointment to go by).
// An offer the clinic takes back (its patient erased) is "withdrawn".
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE notifications ADD COLUMN about_patient_id integer REFERENCES patients (id);
    -- Earlier messages to a guardian that name no appointment say in their key what they were about.
    UPDATE notifications n SET about_patient_id = coalesce(
      n.patient_id,
      (SELECT a.patient_id FROM appointments a WHERE a.id = n.appointment_id),
      CASE split_part(n.idempotency_key, ':', 1) || ':' || split_part(n.idempotency_key, ':', 2)
        WHEN 'payment_received:payment' THEN
          (SELECT p.patient_id FROM payments p WHERE p.id::text = split_part(n.idempotency_key, ':', 3))
        WHEN 'refund_processed:refund' THEN
          (SELECT p.patient_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id::text = split_part(n.idempotency_key, ':', 3))
        WHEN 'booking_confirmed:series' THEN
          (SELECT s.patient_id FROM appointment_series s WHERE s.id::text = split_part(n.idempotency_key, ':', 3))
        WHEN 'waitlist_offer:offer' THEN
          (SELECT e.patient_id FROM waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id
            WHERE o.id::text = split_part(n.idempotency_key, ':', 3))
      END);
    -- Every way into the outbox gets it: the patient addressed, else the appointment's patient; a
    -- message about a patient that has neither (a waitlist offer to a guardian) names them itself.
    CREATE FUNCTION roshni_notification_subject() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.about_patient_id IS NULL THEN
        NEW.about_patient_id := coalesce(NEW.patient_id, (SELECT a.patient_id FROM appointments a WHERE a.id = NEW.appointment_id));
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER notifications_subject BEFORE INSERT ON notifications
      FOR EACH ROW EXECUTE FUNCTION roshni_notification_subject();
    CREATE INDEX notifications_about_patient_idx ON notifications (about_patient_id) WHERE about_patient_id IS NOT NULL;
    ALTER TYPE waitlist_offer_status ADD VALUE IF NOT EXISTS 'withdrawn';
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // An enum value cannot be dropped; 'withdrawn' stays, unused.
  await sql`
    DROP TRIGGER notifications_subject ON notifications;
    DROP FUNCTION roshni_notification_subject();
    DROP INDEX notifications_about_patient_idx;
    ALTER TABLE notifications DROP COLUMN about_patient_id;
  `.execute(db);
}
