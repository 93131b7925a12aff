import { sql, type Kysely } from 'kysely';

// A patient waits once for a service with a therapist (or with anyone): joining again used to add
// an identical entry (one patient had six). First the duplicates already open (waiting or holding an
// offer) are resolved: the entry holding an offer is kept, else the earliest; it takes the widest
// dates and the urgency any of them had, and the others are closed as 'removed'. Then a partial
// unique index keeps it so; NULLS NOT DISTINCT makes two "any therapist" entries collide too.
//
// Two duplicates each holding an offer (two places offered at once) should not exist; if they do,
// the later one's offer ends as 'expired' (the 'withdrawn' of 0024 cannot be used in the same run as
// it was added), and its place stays open for whoever books it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    WITH open_entries AS (
      SELECT id, earliest_on, latest_on, urgent,
        first_value(id) OVER same AS kept_id, row_number() OVER same AS place
      FROM waitlist_entries
      WHERE status IN ('waiting', 'offered')
      WINDOW same AS (PARTITION BY patient_id, service_id, therapist_id
                      ORDER BY status = 'offered' DESC, created_at, id
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ),
    widest AS (
      SELECT kept_id, min(earliest_on) AS earliest_on, max(latest_on) AS latest_on, bool_or(urgent) AS urgent
      FROM open_entries GROUP BY kept_id HAVING count(*) > 1
    ),
    widened AS (
      UPDATE waitlist_entries kept
      SET earliest_on = widest.earliest_on, latest_on = widest.latest_on, urgent = widest.urgent
      FROM widest WHERE kept.id = widest.kept_id
    ),
    ended_offers AS (
      UPDATE waitlist_offers o SET status = 'expired', responded_at = now()
      FROM open_entries d WHERE o.entry_id = d.id AND d.place > 1 AND o.status = 'pending'
    )
    UPDATE waitlist_entries e SET status = 'removed'
    FROM open_entries d WHERE e.id = d.id AND d.place > 1;
  `.execute(db);
  await sql`
    CREATE UNIQUE INDEX waitlist_entries_one_open_per_wish
      ON waitlist_entries (patient_id, service_id, therapist_id) NULLS NOT DISTINCT
      WHERE status IN ('waiting', 'offered');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // The closed duplicates stay closed.
  await sql`DROP INDEX waitlist_entries_one_open_per_wish`.execute(db);
}
