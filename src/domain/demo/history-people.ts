import { sql } from 'kysely';
import { addDays, zonedInstant } from '../time.js';
import { DEMO_CASELOAD, DEMO_HISTORY_PATIENTS, type DemoCaseload } from './demo-clinic.js';
import { later, MINUTE, type HistoryScene } from './history-model.js';
import { insertRows } from './insert-rows.js';

/** The demo's phone numbers are written as people say them; stored as E.164. */
const e164 = (phone: string) => phone.replace(/\s/g, '');

export interface PastPeople {
  /** Every demo patient's id by key: the named ones and those of the past. */
  patientIds: Map<string, number>;
  /** When each patient of the caseload was registered. */
  registered: Map<string, Date>;
}

/** The patients of the past (children with a parent), registered when they first came. */
export async function addPastPatients(scene: HistoryScene, named: Map<string, number>): Promise<PastPeople> {
  const { ctx, rng, tz, from, to, desk, audit } = scene;
  const registeredAt = (plan: DemoCaseload) =>
    plan.from === 'before'
      ? zonedInstant(addDays(from, -rng.int(20, 80)), `${rng.int(10, 17)}:${rng.pick(['05', '20', '35', '50'])}`, tz)
      : zonedInstant(addDays(from, 7 * plan.from - rng.int(2, 6)), `${rng.int(10, 17)}:${rng.pick(['10', '25', '40', '55'])}`, tz);
  const registered = new Map(DEMO_CASELOAD.map((plan) => [plan.patient, registeredAt(plan)]));

  const newPatients = await insertRows(
    ctx,
    'patients',
    DEMO_HISTORY_PATIENTS.map((p) => ({
      full_name: p.fullName,
      date_of_birth: p.dateOfBirth,
      gender: p.gender,
      phone: 'phone' in p ? e164(p.phone) : null,
      preferred_language: 'language' in p ? p.language : 'en',
      sample: true,
      created_at: registered.get(p.key)!,
    })),
    ['id', 'full_name'],
  );
  const patientIds = new Map(named);
  for (const p of DEMO_HISTORY_PATIENTS) {
    const id = newPatients.find((r) => r.full_name === p.fullName)!.id as number;
    patientIds.set(p.key, id);
    audit.push({ at: registered.get(p.key)!, actor: desk, action: 'patient.add', entity: 'patient', entityId: () => id, patientId: id });
  }
  // The patients the demo names keep their own story: those of the past were registered when they began;
  // one without a past (Diya, booked for an initial assessment) was registered yesterday.
  const namedRegistrations = [...named].map(([key, id]) => ({ id, created_at: registered.get(key) ?? zonedInstant(to, '17:40', tz) }));
  await sql`UPDATE patients p SET created_at = v.created_at
            FROM json_to_recordset(${JSON.stringify(namedRegistrations)}::json) AS v(id integer, created_at timestamptz)
            WHERE p.id = v.id`.execute(ctx.db);

  const parents = DEMO_HISTORY_PATIENTS.filter((p) => 'parent' in p);
  const guardianRows = await insertRows(
    ctx,
    'guardians',
    parents.map((p) => ({ full_name: p.parent[0], phone: e164(p.parent[1]), sample: true, created_at: registered.get(p.key)! })),
    ['id', 'full_name'],
  );
  const links = parents.map((p) => ({
    patient_id: patientIds.get(p.key)!,
    guardian_id: guardianRows.find((g) => g.full_name === p.parent[0])!.id as number,
    relationship: p.parent[2],
    is_primary: true,
    created_at: registered.get(p.key)!,
  }));
  await insertRows(ctx, 'patient_guardians', links);
  for (const link of links) {
    const when = later(link.created_at, MINUTE);
    audit.push({ at: when, actor: desk, action: 'guardian.add', entity: 'guardian', entityId: () => link.guardian_id, patientId: null });
    audit.push({
      at: later(when, MINUTE),
      actor: desk,
      action: 'guardian.link',
      entity: 'patient_guardian',
      entityId: () => `${link.patient_id}:${link.guardian_id}`,
      patientId: link.patient_id,
      after: () => ({ relationship: link.relationship, isPrimary: true }),
    });
  }
  return { patientIds, registered };
}
