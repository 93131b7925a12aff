import { sql, type Kysely } from 'kysely';

// A therapist's own patients are those they have or had an appointment with that was not cancelled:
// a booking called off before it took place does not open a patient's clinical records to them.
// The domain's rule is the same (src/domain/clinical/access.ts, hasAppointmentWith).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION roshni_actor_treats(patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.appointments a JOIN public.therapists t ON t.id = a.therapist_id
        WHERE a.patient_id = patient AND a.status <> 'cancelled'
          AND t.staff_user_id = public.roshni_actor_id('roshni.staff_id'))
    $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION roshni_actor_treats(patient integer) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM public.appointments a JOIN public.therapists t ON t.id = a.therapist_id
        WHERE a.patient_id = patient AND t.staff_user_id = public.roshni_actor_id('roshni.staff_id'))
    $$;
  `.execute(db);
}
