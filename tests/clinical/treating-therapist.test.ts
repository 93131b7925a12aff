import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { slotsOn, systemContext } from '../support/clinic.js';
import { openClinicalClinic } from './clinical-clinic.js';

// A therapist's own patients are those assigned to her or seen by her: a booking alone opens nothing
// (anyone at the desk, or a chat, can make one).
describe("a therapist's own patients", () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
    // Patient 003 is booked with Priya, and not yet seen.
    const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
    const ctx = systemContext(clinic.database.db, fixedClock(`${start}T00:00:00Z`));
    const slot = (await slotsOn(ctx, clinic.clinic.speech.id, addDays(start, 2))).at(-1)!;
    await bookAppointment(ctx, { patientId: clinic.clinic.patients[2]!.id, serviceId: clinic.clinic.speechService.id, slotId: slot.id });
  });
  afterAll(() => clinic?.close());

  const screen = JSON.stringify({ sounds: [{ sound: 's', position: 'initial', correct: false }], intelligibilityPercent: 70, stimulable: [] });
  const assess = () =>
    clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 003', '--kind', 'initial', '--template', 'slp-articulation-screen', '--data', screen, '--json'],
      'priya',
    );
  const assessmentsOf003 = () => clinic.database.db.selectFrom('assessments').select('id').where('patient_id', '=', clinic.clinic.patients[2]!.id).execute();

  it('a booking does not open the records; the desk assigning the patient does', async () => {
    const booked = await assess();
    expect(booked.code, booked.stderr).toBe(5);
    expect(booked.stderr).toContain('only see and write the clinical records of their own patients');
    expect(await assessmentsOf003()).toEqual([]);

    const assigned = await clinic.roshni(['patient', 'assign', 'Patient 003', '--therapist', 'priya'], 'desk');
    expect(assigned.code, assigned.stderr).toBe(0);
    const mine = await assess();
    expect(mine.code, mine.stderr).toBe(0);
    expect(await assessmentsOf003()).toHaveLength(1);
    // Meera, not assigned and not having seen Patient 003, still may not.
    const other = await clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 003', '--kind', 'initial', '--template', 'pt-range-of-motion', '--data', '{"joints":[]}'],
      'meera',
    );
    expect(other.code).toBe(5);
  });
});
