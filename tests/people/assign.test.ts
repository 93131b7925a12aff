import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, openTestClinic, type TestClinic } from './clinic.js';

const NOT_HER_PATIENT = 'A therapist may only see and write the clinical records of their own patients';

describe("roshni patient assign: a therapist's own patients", () => {
  // Each test opens a clinic of its own: Farhan at the desk, Priya and Arjun as therapists (each with
  // a staff user), and Aarav, registered but never seen by anyone.
  let clinic: TestClinic;
  let priya: number;
  let arjun: number;
  let farhanId: number;
  let aarav: { id: number; patientNumber: string };
  beforeEach(async () => {
    clinic = await openTestClinic();
    farhanId = (await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist')).id;
    for (const [username, name, spec] of [
      ['priya.slp', 'Dr. Priya Sharma', 'slp'],
      ['arjun.ot', 'Arjun Mehta', 'ot'],
    ] as const) {
      await clinic.addStaff(username, name, 'therapist');
      await clinic.json(['therapist', 'add', '--name', name, '--spec', spec, '--staff', username]);
    }
    const therapists = await clinic.database.db.selectFrom('therapists').select(['id', 'full_name']).execute();
    priya = therapists.find((t) => t.full_name === 'Dr. Priya Sharma')!.id;
    arjun = therapists.find((t) => t.full_name === 'Arjun Mehta')!.id;
    const added = await clinic.json(['patient', 'add', '--name', 'Aarav Gupta', '--dob', '2019-05-14'], 'farhan.desk');
    aarav = { id: added.id, patientNumber: added.patientNumber };
  });
  afterEach(() => clinic?.close());

  const assignments = () =>
    clinic.database.db.selectFrom('patient_therapists').select(['patient_id', 'therapist_id', 'assigned_by_staff_id']).orderBy('therapist_id').execute();
  const audited = (action: string) =>
    clinic.database.db
      .selectFrom('audit_log')
      .select(['actor_kind', 'actor_id', 'actor_role', 'entity_id', 'after', 'outcome'])
      .where('action', '=', action)
      .orderBy('id')
      .execute();
  const addGoal = (as: string) =>
    clinic.run(
      ['goal', 'add', '--patient', 'Aarav', '--description', 'Says /s/ in initial position', '--baseline', '10', '--target', '80', '--specialization', 'slp'],
      as,
    );

  it("a registered patient whom no one has seen or been assigned is nobody's: a therapist may not open or write her records", async () => {
    expectRefused(await clinic.run(['progress', 'Aarav'], 'priya.slp'), 5, NOT_HER_PATIENT);
    expectRefused(await addGoal('priya.slp'), 5, NOT_HER_PATIENT);
    expect(await assignments()).toEqual([]);
  });

  it("the desk assigns Priya: it is recorded with who did it, audited once, and opens Aarav's records to her alone", async () => {
    const assigned = await clinic.json(['patient', 'assign', 'Aarav', '--therapist', 'priya'], 'farhan.desk');
    expect(assigned).toMatchObject({ therapistId: priya, assigned: true, changed: true });
    expect(await assignments()).toEqual([{ patient_id: aarav.id, therapist_id: priya, assigned_by_staff_id: farhanId }]);
    expect(await audited('patient.assign')).toEqual([
      { actor_kind: 'staff', actor_id: farhanId, actor_role: 'receptionist', entity_id: String(aarav.id), after: { therapistId: priya }, outcome: 'ok' },
    ]);

    // Again: nothing changes, and nothing more is audited.
    const again = await clinic.run(['patient', 'assign', 'Aarav', '--therapist', 'priya'], 'farhan.desk');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing changed');
    expect(await audited('patient.assign')).toHaveLength(1);

    // Priya may now write and read Aarav's clinical records; Arjun, not assigned, still may not.
    const goal = await addGoal('priya.slp');
    expect(goal.code, goal.stderr).toBe(0);
    const progress = await clinic.run(['progress', 'Aarav'], 'priya.slp');
    expect(progress.code, progress.stderr).toBe(0);
    expect(progress.stdout).toContain('Says /s/ in initial position');
    expectRefused(await clinic.run(['progress', 'Aarav'], 'arjun.ot'), 5, NOT_HER_PATIENT);
  });

  it('ending the assignment closes the records again, and is audited', async () => {
    await clinic.json(['patient', 'assign', 'Aarav', '--therapist', 'priya'], 'farhan.desk');
    const removed = await clinic.json(['patient', 'assign', 'Aarav', '--therapist', 'priya', '--remove'], 'farhan.desk');
    expect(removed).toMatchObject({ therapistId: priya, assigned: false, changed: true });
    expect(await assignments()).toEqual([]);
    expect(await audited('patient.unassign')).toEqual([
      expect.objectContaining({ actor_kind: 'staff', actor_id: farhanId, entity_id: String(aarav.id), after: { therapistId: priya }, outcome: 'ok' }),
    ]);
    expectRefused(await clinic.run(['progress', 'Aarav'], 'priya.slp'), 5, NOT_HER_PATIENT);
  });

  it('a therapist may not assign a patient, to herself or anyone: refused, audited, and nothing changes', async () => {
    const before = await clinic.counts();
    for (const therapist of ['priya', 'arjun']) {
      expectRefused(await clinic.run(['patient', 'assign', 'Aarav', '--therapist', therapist], 'priya.slp'), 5, /A therapist may not/);
    }
    expect(await assignments()).toEqual([]);
    expect(await clinic.counts()).toEqual(before);
    expect(await audited('patient.assign')).toEqual([]);
    // Each refusal is audited as the policy's, with the command that tried.
    const denials = await clinic.database.db
      .selectFrom('audit_log')
      .select(['actor_role', 'action', 'entity', 'meta'])
      .where('outcome', '=', 'denied')
      .execute();
    expect(denials).toEqual([1, 2].map(() => ({ actor_role: 'therapist', action: 'patient.manage', entity: 'policy', meta: { command: 'patient assign' } })));
    // Nor does the refusal open anything to her.
    expectRefused(await clinic.run(['progress', 'Aarav'], 'priya.slp'), 5, NOT_HER_PATIENT);
  });

  it('a booking alone opens nothing; a session of hers under way does, unassigned', async () => {
    const { db } = clinic.database;
    const service = await db.selectFrom('services').select(['id', 'price_paise']).where('code', '=', 'occupational-therapy').executeTakeFirstOrThrow();
    const startsAt = new Date(Date.now() + 24 * 60 * 60 * 1000);
    const booking = await db
      .insertInto('appointments')
      .values({
        patient_id: aarav.id,
        therapist_id: arjun,
        service_id: service.id,
        starts_at: startsAt,
        ends_at: new Date(startsAt.getTime() + 45 * 60_000),
        price_paise: service.price_paise,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expectRefused(await clinic.run(['progress', 'Aarav'], 'arjun.ot'), 5, NOT_HER_PATIENT);
    await db.updateTable('appointments').set({ status: 'in_progress' }).where('id', '=', booking.id).execute();
    const progress = await clinic.run(['progress', 'Aarav'], 'arjun.ot');
    expect(progress.code, progress.stderr).toBe(0);
    expectRefused(await clinic.run(['progress', 'Aarav'], 'priya.slp'), 5, NOT_HER_PATIENT);
  });

  it('an admin may assign too, and names an unknown therapist or patient plainly', async () => {
    expect(await clinic.json(['patient', 'assign', aarav.patientNumber, '--therapist', String(arjun)])).toMatchObject({
      patient: aarav.patientNumber,
      changed: true,
    });
    const adminId = (await clinic.database.db.selectFrom('staff_users').select('id').where('username', '=', 'anita.admin').executeTakeFirstOrThrow()).id;
    expect(await assignments()).toEqual([{ patient_id: aarav.id, therapist_id: arjun, assigned_by_staff_id: adminId }]);
    expectRefused(await clinic.run(['patient', 'assign', 'Aarav', '--therapist', 'Nobody']), 3, /Nobody/);
    expectRefused(await clinic.run(['patient', 'assign', 'P-99999', '--therapist', 'priya']), 3, /P-99999/);
    expect(await assignments()).toHaveLength(1);
  });
});
