import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, openTestClinic, type TestClinic } from './clinic.js';

const DAY = 24 * 60 * 60 * 1000;

describe('therapists', () => {
  // Each test opens a clinic of its own, with Priya (a therapist) and Farhan (at the desk) as staff users.
  let clinic: TestClinic;
  beforeEach(async () => {
    clinic = await openTestClinic();
    await clinic.addStaff('priya.slp', 'Priya Sharma', 'therapist');
    await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist');
  });
  afterEach(() => clinic?.close());

  /** Dr. Priya Sharma, linked to her staff user, and Arjun Mehta join as therapists. */
  async function addPriyaAndArjun() {
    await clinic.json(['therapist', 'add', '--name', 'Dr. Priya Sharma', '--spec', 'SLP, ot', '--phone', '+91 98765-43210', '--staff', 'priya.slp']);
    await clinic.json(['therapist', 'add', '--name', 'Arjun Mehta', '--spec', 'ot']);
  }

  /** A live appointment `daysAhead` days from now, straight into the table (booking is another feature). */
  async function appointmentWith(therapistId: number, daysAhead: number, patientName: string) {
    const { db } = clinic.database;
    const patient = await db.insertInto('patients').values({ full_name: patientName }).returning('id').executeTakeFirstOrThrow();
    const service = await db.selectFrom('services').select(['id', 'price_paise']).where('code', '=', 'speech-therapy').executeTakeFirstOrThrow();
    const startsAt = new Date(Date.now() + daysAhead * DAY);
    return db
      .insertInto('appointments')
      .values({
        patient_id: patient.id,
        therapist_id: therapistId,
        service_id: service.id,
        starts_at: startsAt,
        ends_at: new Date(startsAt.getTime() + 45 * 60_000),
        price_paise: service.price_paise,
      })
      .returning(['id', 'appointment_number'])
      .executeTakeFirstOrThrow();
  }

  it('adds a therapist with two specializations, linked to their staff user', async () => {
    const added = await clinic.json([
      'therapist',
      'add',
      '--name',
      'Dr. Priya Sharma',
      '--spec',
      'SLP, ot',
      '--phone',
      '+91 98765-43210',
      '--staff',
      'priya.slp',
    ]);
    expect(added).toMatchObject({
      fullName: 'Dr. Priya Sharma',
      specializations: ['ot', 'slp'],
      phone: '+919876543210',
      staffUsername: 'priya.slp',
      active: true,
    });
    const human = await clinic.run(['therapist', 'add', '--name', 'Arjun Mehta', '--spec', 'ot']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Added Arjun Mehta');
  });

  it.each([
    [['--name', 'Meera Iyer', '--spec', 'yoga'], 2, 'Unknown specialization yoga. Known: ot, pt, slp.'],
    [['--name', 'Meera Iyer', '--spec', 'pt', '--phone', '98765'], 2, '--phone: "98765" must be a valid phone number'],
    [['--name', 'Meera Iyer'], 2, '--spec is required'],
    [['--spec', 'pt'], 2, '--name is required'],
    [['--name', 'Meera Iyer', '--spec', 'pt', '--staff', 'nobody'], 3, 'No staff user nobody'],
    [['--name', 'Meera Iyer', '--spec', 'pt', '--staff', 'priya.slp'], 4, 'already linked to another therapist'],
  ])('refuses therapist add %j and changes nothing', async (flags, code, message) => {
    await addPriyaAndArjun();
    const before = await clinic.counts();
    expectRefused(await clinic.run(['therapist', 'add', ...flags]), code, message);
    expect(await clinic.counts()).toEqual(before);
  });

  it('lets only an admin add therapists', async () => {
    const result = await clinic.run(['therapist', 'add', '--name', 'Meera Iyer', '--spec', 'pt'], 'farhan.desk');
    expectRefused(result, 5, 'A receptionist may not manage therapists (therapist.manage: admin only).');
  });

  it('lists active therapists by name, and shows one with hours and upcoming appointments', async () => {
    await addPriyaAndArjun();
    const list = await clinic.json(['therapist', 'list'], 'farhan.desk');
    expect(list.map((t: { fullName: string }) => t.fullName)).toEqual(['Arjun Mehta', 'Dr. Priya Sharma']);

    const priya = list[1];
    const block = (weekday: number, start_time: string, end_time: string) => ({ therapist_id: priya.id, weekday, start_time, end_time });
    await clinic.database.db
      .insertInto('working_hours')
      .values([...[1, 2, 3, 4, 5].flatMap((day) => [block(day, '09:00', '13:00'), block(day, '14:00', '18:00')]), block(6, '09:00', '13:00')])
      .execute();
    await appointmentWith(priya.id, 2, 'Aarav Gupta');

    const shown = await clinic.json(['therapist', 'show', 'priya.slp']);
    expect(shown).toMatchObject({ id: priya.id, specializations: ['ot', 'slp'], upcomingAppointments: 1 });
    expect(shown.hoursSummary).toEqual(['Mon–Fri 09:00–13:00, 14:00–18:00', 'Sat 09:00–13:00']);
    expect(shown.workingHours).toHaveLength(11);
    const human = await clinic.run(['therapist', 'show', 'Priya']);
    expect(human.stdout).toContain('Mon–Fri 09:00–13:00, 14:00–18:00; Sat 09:00–13:00');
    expectRefused(await clinic.run(['therapist', 'show', 'Nobody']), 3, 'No therapist matches "Nobody"');
  });

  it('refuses to deactivate a therapist with upcoming appointments unless --force, which lists them', async () => {
    await addPriyaAndArjun();
    const [arjun] = await clinic.json(['therapist', 'list']);
    const first = await appointmentWith(arjun.id, 1, 'Kavya Nair');
    const second = await appointmentWith(arjun.id, 3, 'Rohan Verma');
    const before = await clinic.counts();
    const refused = await clinic.run(['therapist', 'deactivate', 'Arjun']);
    expectRefused(refused, 4, `Arjun Mehta has 2 upcoming appointment(s) (${first.appointment_number}, ${second.appointment_number})`);
    expect(await clinic.counts()).toEqual(before);

    const forced = await clinic.json(['therapist', 'deactivate', 'Arjun', '--force']);
    expect(forced).toMatchObject({ id: arjun.id, active: false, deactivated: true });
    expect(forced.upcomingAppointments.map((a: { appointmentNumber: string }) => a.appointmentNumber)).toEqual([
      first.appointment_number,
      second.appointment_number,
    ]);
    expect(forced.upcomingAppointments[0].patient.name).toBe('Kavya Nair');

    expect((await clinic.json(['therapist', 'list'])).map((t: { id: number }) => t.id)).not.toContain(arjun.id);
    expect((await clinic.json(['therapist', 'list', '--all'])).find((t: { id: number }) => t.id === arjun.id)).toMatchObject({ active: false });

    const audit = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'therapist.deactivate').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ entity_id: String(arjun.id), before: { active: true }, after: { active: false }, meta: { forced: true } });
  });

  it('deactivates a therapist with a free diary straight away', async () => {
    const added = await clinic.json(['therapist', 'add', '--name', 'Meera Iyer', '--spec', 'pt']);
    const human = await clinic.run(['therapist', 'deactivate', String(added.id)]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Deactivated Meera Iyer');
  });
});
