import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, openTestClinic, type TestClinic } from './clinic.js';

describe('guardians and their children', () => {
  // Each test opens a clinic of its own, with Farhan at the desk.
  let clinic: TestClinic;
  beforeEach(async () => {
    clinic = await openTestClinic();
    await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist');
  });
  afterEach(() => clinic?.close());

  /** Neha Gupta, the clinic's first guardian (id 1). */
  const addNeha = () => clinic.json(['guardian', 'add', '--name', 'Neha Gupta', '--phone', '098200 12345', '--language', 'hi'], 'farhan.desk');
  /** Neha and her two children, Aarav and Diya Gupta, with Neha as their mother and primary contact. */
  async function addNehaAndHerChildren() {
    await addNeha();
    await clinic.json(['patient', 'add', '--name', 'Aarav Gupta', '--dob', '2019-05-14', '--guardian', '9820012345', '--relationship', 'mother']);
    await clinic.json(['patient', 'add', '--name', 'Diya Gupta', '--dob', '2021-02-03', '--guardian', '9820012345', '--relationship', 'mother']);
  }

  it('adds a mother whose phone is written the Indian way', async () => {
    const neha = await addNeha();
    expect(neha).toMatchObject({ fullName: 'Neha Gupta', phone: '+919820012345', language: 'hi' });
  });

  it.each([
    [['--name', 'Suresh Nair', '--phone', '12345'], 2, '--phone: "12345" must be a valid phone number'],
    // A valid Indian landline (libphonenumber: FIXED_LINE): no reminder could ever reach it.
    [
      ['--name', 'Suresh Nair', '--phone', '12345 67890'],
      2,
      '--phone: "12345 67890" is a landline (+91 1234 567 890), which cannot receive messages: give a mobile number',
    ],
    [['--name', 'Suresh Nair', '--phone', '080 2345 6789'], 2, 'is a landline (+91 80 2345 6789)'],
    [['--name', 'Suresh Nair', '--phone', '99000 11223', '--language', 'ta'], 2, 'language: must be en or hi'],
    [['--name', 'Suresh Nair'], 2, '--phone is required'],
    [['--name', 'Another Neha', '--phone', '+91 98200-12345'], 4, 'A guardian with this phone number already exists (id 1)'],
  ])('refuses guardian add %j and changes nothing', async (flags, code, message) => {
    await addNeha();
    const before = await clinic.counts();
    expectRefused(await clinic.run(['guardian', 'add', ...flags], 'farhan.desk'), code, message);
    expect(await clinic.counts()).toEqual(before);
  });

  it('links one mother to two children, the first link making her the primary contact', async () => {
    await addNeha();
    const aarav = await clinic.json(['patient', 'add', '--name', 'Aarav Gupta', '--dob', '2019-05-14', '--guardian', '9820012345', '--relationship', 'mother']);
    expect(aarav.guardians).toEqual([{ id: 1, fullName: 'Neha Gupta', phone: '+919820012345', relationship: 'mother', isPrimary: true }]);
    const diya = await clinic.json(['patient', 'add', '--name', 'Diya Gupta', '--dob', '2021-02-03']);
    expect(diya.guardians).toEqual([]);

    const link = await clinic.json(['guardian', 'link', '+91 98200 12345', diya.patientNumber, '--relationship', 'mother'], 'farhan.desk');
    expect(link).toMatchObject({ guardianId: 1, patientId: diya.id, linked: true, relationship: 'mother', isPrimary: true });
    const again = await clinic.json(['guardian', 'link', '1', diya.patientNumber]);
    expect(again).toMatchObject({ linked: false, updated: false, relationship: 'mother' });

    const shown = await clinic.json(['guardian', 'show', '1']);
    expect(shown.children.map((c: { fullName: string }) => c.fullName)).toEqual(['Aarav Gupta', 'Diya Gupta']);
    const human = await clinic.run(['guardian', 'show', '9820012345']);
    expect(human.stdout).toContain('Neha Gupta (guardian id 1)');
    expect(human.stdout).toMatch(/Diya Gupta\s+2021-02-03\s+mother \(primary\)/);
  });

  it('moves the primary contact to the father when he is linked with --primary', async () => {
    await addNehaAndHerChildren();
    const father = await clinic.json(['guardian', 'add', '--name', 'Rahul Gupta', '--phone', '9820012346']);
    const link = await clinic.json(['guardian', 'link', String(father.id), 'Aarav', '--relationship', 'father', '--primary']);
    expect(link).toMatchObject({ linked: true, isPrimary: true });
    const aarav = await clinic.json(['patient', 'show', 'Aarav']);
    expect(aarav.guardians.map((g: { fullName: string; isPrimary: boolean }) => [g.fullName, g.isPrimary])).toEqual([
      ['Rahul Gupta', true],
      ['Neha Gupta', false],
    ]);
    const relinked = await clinic.json(['guardian', 'link', '1', 'Aarav', '--relationship', 'parent']);
    expect(relinked).toMatchObject({ linked: false, updated: true, relationship: 'parent', isPrimary: false });
    const audit = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'guardian.link.update').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ before: { relationship: 'mother', isPrimary: false }, after: { relationship: 'parent', isPrimary: false } });
  });

  it.each([
    [['guardian', 'show', '42'], 3, 'No guardian matches "42"'],
    [['guardian', 'show', 'Neha'], 2, '"Neha" is neither a guardian id nor a phone number'],
    [['guardian', 'link', '1', 'P-99999'], 3, 'No patient matches "P-99999"'],
    [['guardian', 'link', '9999999999', 'Aarav'], 3, 'No guardian matches "9999999999"'],
    [['guardian', 'link', '1', 'Gupta'], 2, '"Gupta" matches several patients'],
    [['guardian', 'link', '1', 'Diya', '--relationship', 'uncle'], 2, 'relationship: must be one of mother, father'],
  ])('refuses %j with a clear message and changes nothing', async (argv, code, message) => {
    await addNehaAndHerChildren();
    const before = await clinic.counts();
    expectRefused(await clinic.run(argv), code, message);
    expect(await clinic.counts()).toEqual(before);
  });
});
