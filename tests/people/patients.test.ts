import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, openTestClinic, type TestClinic } from './clinic.js';

const DAY = 24 * 60 * 60 * 1000;

describe('patients at the front desk', () => {
  // Each test opens a clinic of its own: Farhan at the desk, and Suresh Nair already known as a guardian.
  let clinic: TestClinic;
  const desk = 'farhan.desk';
  beforeEach(async () => {
    clinic = await openTestClinic();
    await clinic.addStaff(desk, 'Farhan Sheikh', 'receptionist');
    await clinic.json(['guardian', 'add', '--name', 'Suresh Nair', '--phone', '99000 11223']);
  });
  afterEach(() => clinic?.close());

  /**
   * The desk registers Rohan Verma (P-00001), Kavya Nair with her father Suresh (P-00002), and
   * Rohan's wife Rekha on his phone (P-00003, a possible duplicate let through).
   */
  async function registerTheVermasAndKavya() {
    const rohan = await clinic.json(['patient', 'add', '--name', ' Rohan  Verma ', '--dob', '1988-11-02', '--gender', 'male', '--phone', '098765 43210'], desk);
    const kavya = await clinic.json(
      ['patient', 'add', '--name', 'Kavya Nair', '--dob', '2017-09-22', '--language', 'hi', '--guardian', '+91 99000 11223', '--relationship', 'father'],
      desk,
    );
    const rekha = await clinic.json(['patient', 'add', '--name', 'Rekha Verma', '--phone', '9876543210', '--allow-duplicate'], desk);
    return { rohan, kavya, rekha };
  }

  /** Another Kavya Nair, born two years earlier (P-00004). */
  const registerAnotherKavya = () => clinic.json(['patient', 'add', '--name', 'Kavya Nair', '--dob', '2015-01-01'], desk);

  it('registers an adult, a child with a guardian, and normalises every way of writing a phone', async () => {
    const rohan = await clinic.json(['patient', 'add', '--name', ' Rohan  Verma ', '--dob', '1988-11-02', '--gender', 'male', '--phone', '098765 43210'], desk);
    expect(rohan).toMatchObject({ patientNumber: 'P-00001', fullName: 'Rohan Verma', phone: '+919876543210', language: 'en' });

    const kavya = await clinic.json(
      ['patient', 'add', '--name', 'Kavya Nair', '--dob', '2017-09-22', '--language', 'hi', '--guardian', '+91 99000 11223', '--relationship', 'father'],
      desk,
    );
    expect(kavya).toMatchObject({
      patientNumber: 'P-00002',
      language: 'hi',
      guardians: [{ fullName: 'Suresh Nair', relationship: 'father', isPrimary: true }],
    });

    // Another member of the family shares Rohan's phone, written differently each time.
    const sameNumber = await clinic.run(['patient', 'add', '--name', 'Rekha Verma', '--phone', '+91 98765-43210'], desk);
    expectRefused(sameNumber, 4, /P-00001 Rohan Verma \(born 1988-11-02\): same phone/);
    const rekha = await clinic.json(['patient', 'add', '--name', 'Rekha Verma', '--phone', '9876543210', '--allow-duplicate'], desk);
    expect(rekha.phone).toBe('+919876543210');
  });

  it('refuses a possible duplicate by name and date of birth, listing the match, and changes nothing', async () => {
    await registerTheVermasAndKavya();
    const before = await clinic.counts();
    const twin = await clinic.run(['patient', 'add', '--name', 'kavya NAIR', '--dob', '2017-09-22'], desk);
    expectRefused(twin, 4, 'This may be a patient the clinic already has: P-00002 Kavya Nair (born 2017-09-22): same name and date of birth');
    expect(twin.stderr).toContain('--allow-duplicate');
    const noBirthDate = await clinic.run(['patient', 'add', '--name', 'Kavya Nair'], desk);
    expectRefused(noBirthDate, 4, 'P-00002 Kavya Nair');
    expect(await clinic.counts()).toEqual(before);

    const namesake = await registerAnotherKavya();
    expect(namesake.patientNumber).toBe('P-00004');
  });

  it.each([
    [['--name', 'Ishaan Rao', '--phone', '12345'], 2, '--phone: "12345" must be a valid phone number'],
    [['--name', 'Ishaan Rao', '--phone', '12345 67890'], 2, '--phone: "12345 67890" is a landline (+91 1234 567 890)'],
    [['--name', 'Ishaan Rao', '--dob', '2019-02-30'], 2, '--dob: "2019-02-30" is not a real date'],
    [['--name', 'Ishaan Rao', '--dob', '14/05/2019'], 2, '--dob: "14/05/2019" must be a date as YYYY-MM-DD'],
    [['--name', 'Ishaan Rao', '--dob', '2999-01-01'], 2, 'dateOfBirth: 2999-01-01 is in the future'],
    [['--name', 'Ishaan Rao', '--gender', 'boy'], 2, 'gender: must be female, male or other'],
    [['--name', 'Ishaan Rao', '--guardian', '98000 00000'], 3, 'No guardian matches "98000 00000"'],
    [['--name', 'Ishaan Rao', '--guardian', '+91 99000 11223', '--relationship', 'aunt'], 2, 'relationship: must be one of'],
    [['--dob', '2019-05-14'], 2, '--name is required'],
  ])('refuses patient add %j and changes nothing', async (flags, code, message) => {
    const before = await clinic.counts();
    expectRefused(await clinic.run(['patient', 'add', ...flags], desk), code, message);
    expect(await clinic.counts()).toEqual(before);
  });

  /** An appointment `daysFromNow` (negative: in the past), booked straight into the table. */
  async function appointment(patientId: number, daysFromNow: number, status: 'scheduled' | 'completed' | 'cancelled' = 'scheduled') {
    const { db } = clinic.database;
    const therapist =
      (await db.selectFrom('therapists').select('id').executeTakeFirst()) ??
      (await db.insertInto('therapists').values({ full_name: 'Arjun Mehta' }).returning('id').executeTakeFirstOrThrow());
    const service = await db.selectFrom('services').select(['id', 'price_paise']).where('code', '=', 'occupational-therapy').executeTakeFirstOrThrow();
    const startsAt = new Date(Date.now() + daysFromNow * DAY);
    return db
      .insertInto('appointments')
      .values({
        patient_id: patientId,
        therapist_id: therapist.id,
        service_id: service.id,
        starts_at: startsAt,
        ends_at: new Date(startsAt.getTime() + 45 * 60_000),
        price_paise: service.price_paise,
        status,
        ...(status === 'cancelled' ? { cancelled_at: new Date() } : {}),
      })
      .returning(['id', 'appointment_number'])
      .executeTakeFirstOrThrow();
  }

  it('finds patients by every kind of reference, returning every match', async () => {
    await registerTheVermasAndKavya();
    await registerAnotherKavya();
    const kavya = (await clinic.json(['patient', 'find', 'P-00002'], desk)).patients[0];
    const booked = await appointment(kavya.id, 2);

    const byName = await clinic.json(['patient', 'find', 'nair'], desk);
    expect(byName).toMatchObject({ matchedBy: 'name' });
    expect(byName.patients.map((p: { patientNumber: string }) => p.patientNumber)).toEqual(['P-00002', 'P-00004']);

    for (const phone of ['9876543210', '098765 43210', '+91 98765-43210']) {
      const byPhone = await clinic.json(['patient', 'find', phone], desk);
      expect(byPhone.matchedBy).toBe('phone');
      expect(byPhone.patients.map((p: { fullName: string }) => p.fullName)).toEqual(['Rekha Verma', 'Rohan Verma']);
    }
    const byGuardianPhone = await clinic.json(['patient', 'find', '99000 11223'], desk);
    expect(byGuardianPhone.patients.map((p: { patientNumber: string }) => p.patientNumber)).toEqual(['P-00002']);
    expect(byGuardianPhone.patients[0].guardians[0]).toMatchObject({ fullName: 'Suresh Nair', relationship: 'father' });

    expect(await clinic.json(['patient', 'find', 'p-2'], desk)).toMatchObject({
      matchedBy: 'patient_number',
      patients: [{ fullName: 'Kavya Nair' }],
    });
    expect(await clinic.json(['patient', 'find', booked.appointment_number.toLowerCase()], desk)).toMatchObject({
      matchedBy: 'appointment_number',
      patients: [{ fullName: 'Kavya Nair' }],
    });
    expect(await clinic.json(['patient', 'find', String(kavya.id)], desk)).toMatchObject({ matchedBy: 'id', patients: [{ fullName: 'Kavya Nair' }] });
    expect(await clinic.json(['patient', 'find', 'Zoya'], desk)).toEqual({ matchedBy: 'name', patients: [] });
    expect((await clinic.run(['patient', 'find', 'Zoya'], desk)).stdout).toContain('No patient matches "Zoya"');
    const human = await clinic.run(['patient', 'find', 'Nair'], desk);
    expect(human.stdout).toContain('Suresh Nair (father, primary) +91 99000 11223');
  });

  it("shows a patient's guardians, upcoming appointments and what they owe", async () => {
    await registerTheVermasAndKavya();
    const rohan = (await clinic.json(['patient', 'find', 'Rohan'], desk)).patients[0];
    const { db } = clinic.database;
    const past = await appointment(rohan.id, -7, 'completed');
    const partlyPaid = await appointment(rohan.id, -3, 'completed');
    const refunded = await appointment(rohan.id, -2, 'completed');
    await appointment(rohan.id, -1, 'cancelled');
    const next = await appointment(rohan.id, 5);
    await db.updateTable('appointments').set({ payment_status: 'waived', waived_reason: 'hardship' }).where('id', '=', past.id).execute();
    const pay = (appointmentId: number, amount_paise: number) =>
      db
        .insertInto('payments')
        .values({ patient_id: rohan.id, appointment_id: appointmentId, amount_paise, method: 'cash', state: 'completed', paid_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
    await pay(partlyPaid.id, 40000);
    const paid = await pay(refunded.id, 100000);
    await db
      .insertInto('refunds')
      .values({ payment_id: paid.id, amount_paise: 30000, reason: 'shortened session', state: 'processed', processed_at: new Date() })
      .execute();

    const shown = await clinic.json(['patient', 'show', 'P-00001'], desk);
    expect(shown).toMatchObject({ fullName: 'Rohan Verma', guardians: [] });
    expect(shown.upcomingAppointments.map((a: { appointmentNumber: string }) => a.appointmentNumber)).toEqual([next.appointment_number]);
    // Charged: three appointments of ₹1,000 (not the waived or cancelled ones); paid ₹400 + ₹1,000 − ₹300 refunded.
    expect(shown.dues).toEqual({
      appointments: 3,
      chargedPaise: 300000,
      paidPaise: 110000,
      duePaise: 90000,
      sessionsDue: 2,
      upcomingPaise: 100000,
      totalDuePaise: 190000,
    });

    const ambiguous = await clinic.run(['patient', 'show', '9876543210'], desk);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('matches several patients');
    const byName = await clinic.run(['patient', 'show', 'Rohan'], desk);
    expect(byName.stdout).toContain('₹900.00 for 2 attended session(s), ₹1,000.00 for booked ones');
    expect(byName.stdout).toContain(next.appointment_number);
  });

  it('updates details, recording only which fields changed', async () => {
    await registerTheVermasAndKavya();
    const updated = await clinic.json(
      ['patient', 'update', 'P-00001', '--name', 'Rohan K. Verma', '--phone', '+91 98111 22334', '--email', 'rohan@example.in'],
      desk,
    );
    expect(updated).toMatchObject({ fullName: 'Rohan K. Verma', phone: '+919811122334', changed: ['fullName', 'phone', 'email'] });
    const audit = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'patient.update').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ patient_id: updated.id, before: null, after: null, meta: { fields: ['fullName', 'phone', 'email'] } });
    expect((await clinic.json(['patient', 'update', 'P-00001', '--email', 'rohan@example.in', '--language', 'en'], desk)).changed).toEqual([]);
    // A detail left out is kept: Kavya's family still hears from the clinic in Hindi.
    const kavya = await clinic.json(['patient', 'update', 'P-00002', '--dob', '2017-09-23'], desk);
    expect(kavya).toMatchObject({ language: 'hi', dateOfBirth: '2017-09-23', changed: ['dateOfBirth'] });
  });

  it.each([
    [['patient', 'update', 'P-00001'], 2, 'Nothing to change'],
    [['patient', 'update', 'P-00001', '--phone', '0000'], 2, '--phone: "0000" must be a valid phone number'],
    [['patient', 'update', 'P-00001', '--dob', '2999-01-01'], 2, 'dateOfBirth: 2999-01-01 is in the future'],
    [['patient', 'update', 'P-00077', '--name', 'Nobody'], 3, 'No patient matches "P-00077"'],
    [['patient', 'show', 'Zoya Khan'], 3, 'No patient matches "Zoya Khan"'],
    [['patient', 'show', 'APT-999999'], 3, 'No patient matches "APT-999999"'],
  ])('refuses %j with a clear message and changes nothing', async (argv, code, message) => {
    await registerTheVermasAndKavya();
    const before = await clinic.counts();
    expectRefused(await clinic.run(argv, desk), code, message);
    expect(await clinic.counts()).toEqual(before);
  });

  it('lets a therapist look patients up but not register them', async () => {
    await registerTheVermasAndKavya();
    await registerAnotherKavya();
    await clinic.addStaff('priya.slp', 'Priya Sharma', 'therapist');
    expect((await clinic.json(['patient', 'find', 'Kavya'], 'priya.slp')).patients).toHaveLength(2);
    // Money is the desk's business: a therapist sees the patient, not the dues.
    expect(await clinic.json(['patient', 'show', 'P-00001'], 'priya.slp')).toMatchObject({ patientNumber: 'P-00001', dues: null });
    expectRefused(
      await clinic.run(['patient', 'add', '--name', 'Ishaan Rao'], 'priya.slp'),
      5,
      'A therapist may not add or change patients (patient.manage: admin or receptionist only).',
    );
  });

  it('writes an audit row for every change, with no names or phone numbers in it', async () => {
    await registerTheVermasAndKavya();
    await clinic.json(['patient', 'update', 'P-00001', '--phone', '+91 98111 22334', '--email', 'rohan@example.in'], desk);
    await clinic.addStaff('priya.slp', 'Priya Sharma', 'therapist');
    const rows = await clinic.database.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['staff.add', 'guardian.add', 'patient.add', 'guardian.link', 'patient.update']));
    const duplicateAllowed = rows.filter((r) => r.action === 'patient.add' && r.meta);
    expect(duplicateAllowed.map((r) => r.meta)).toEqual([{ possibleDuplicateOf: [1] }]);
    expect(rows.every((r) => r.actor_kind === 'system' || (r.actor_kind === 'staff' && r.actor_id !== null))).toBe(true);
    const recorded = JSON.stringify(rows.map((r) => [r.before, r.after, r.meta]));
    for (const secret of ['Rohan', 'Verma', 'Kavya', 'Nair', 'Suresh', 'Farhan', 'Priya', '98765', '99000', '98111', '@example']) {
      expect(recorded).not.toContain(secret);
    }
  });
});
