import { sql, type Kysely } from 'kysely';

// The exclusion constraints of 0003 keep appointments from overlapping, but two transactions
// writing overlapping rows at the same moment each find the other's row still in progress and
// wait on it: a deadlock, which PostgreSQL breaks only after deadlock_timeout, one victim per
// second (fifty families asking for one time took 47 s and ended in 40P01, not "taken"). Writers
// of a live appointment's time therefore queue first on a lock per therapist and per patient and
// day; the second then finds the first committed and gets the constraint's clear refusal.
//
// Appointments are shorter than a day, so two that overlap share the day their start or end falls
// on, and the lock of that day meets. Keys are taken in one order, so single writes never deadlock.
// The trigger runs after appointments_slot_capacity (triggers fire in name order) because booking
// paths lock the slot first.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION serialise_appointment_times() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      lock_key integer;
    BEGIN
      IF NEW.status = 'cancelled' THEN
        RETURN NEW;
      END IF;
      -- Moving a live appointment from one live status to another makes no new overlap.
      IF TG_OP = 'UPDATE' AND OLD.status <> 'cancelled'
         AND OLD.therapist_id = NEW.therapist_id AND OLD.patient_id = NEW.patient_id
         AND OLD.starts_at = NEW.starts_at AND OLD.ends_at = NEW.ends_at THEN
        RETURN NEW;
      END IF;
      FOR lock_key IN
        SELECT DISTINCT hashtext(who || ':' || (moment AT TIME ZONE 'UTC')::date)
          FROM (VALUES ('therapist:' || NEW.therapist_id), ('patient:' || NEW.patient_id)) AS w (who),
               (VALUES (NEW.starts_at), (NEW.ends_at)) AS m (moment)
          ORDER BY 1
      LOOP
        PERFORM pg_advisory_xact_lock(hashtext('roshni:appointment-times'), lock_key);
      END LOOP;
      RETURN NEW;
    END $$;
    CREATE TRIGGER appointments_times_serialised
      BEFORE INSERT OR UPDATE OF therapist_id, patient_id, starts_at, ends_at, status ON appointments
      FOR EACH ROW EXECUTE FUNCTION serialise_appointment_times();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER appointments_times_serialised ON appointments;
    DROP FUNCTION serialise_appointment_times();
  `.execute(db);
}
