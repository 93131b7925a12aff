import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table, tableOr } from '../../src/cli/output.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

describe('tableOr', () => {
  it('draws the table when there are rows', () => {
    const rows = [['P-00001', 'Aarav']];
    expect(tableOr(['Patient', 'Name'], rows, 'No patients.')).toBe(table(['Patient', 'Name'], rows));
  });

  it('says the sentence, and draws no header, when there is nothing to list', () => {
    expect(tableOr(['Patient', 'Name'], [], 'No patients.')).toBe('No patients.');
  });
});

// A clinic with one admin, one patient and one guardian and nothing else: each listing says so in a sentence.
describe('listings with nothing to list', () => {
  const clock = fixedClock('2026-03-02T04:30:00Z');
  let database: TestDatabase;
  let roshni: (argv: string[]) => ReturnType<typeof runCli>;
  let patientNumber: string;
  let guardianId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db, clock);
    await addStaffUser(ctx, { username: 'anita', fullName: 'Staff anita', role: 'admin' });
    patientNumber = (await addPatient(ctx, { fullName: 'Aarav Sharma' })).patient_number;
    guardianId = (await addGuardian(ctx, { fullName: 'Kavya Sharma', phone: '+919811100001' })).id;
    const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
    roshni = async (argv) => runCli(argv, await signedIn('anita'), { clock });
  });
  afterAll(() => database?.close());

  it.each([
    [['appointments', 'list'], 'No appointments match.'],
    [['waitlist', 'list'], 'Nobody is waiting.'],
    [['waitlist', 'offers'], 'No offers in that time.'],
    [['leave', 'list'], 'No leave recorded.'],
    [['inbox', 'list'], 'No chats are waiting.'],
    [['therapist', 'list'], 'No therapists yet; add one with `roshni therapist add`.'],
    [['package', 'plans'], 'No package plans yet: add one with roshni package add-plan.'],
    [['package', 'list'], 'No packages.'],
    [['dues'], 'Nobody owes anything.'],
    [['holiday', 'list'], 'No holidays.'],
    [['notifications', 'list'], 'The outbox is empty.'],
    [['notifications', 'list', '--failed'], 'No failed notifications.'],
    [['patient', 'find', 'Zubin'], 'No patient matches "Zubin".'],
  ])('`roshni %j` prints its sentence', async (argv, sentence) => {
    const { code, stdout, stderr } = await roshni(argv);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe(`${sentence}\n`);
  });

  it("says so about one patient's consents, assessments and documents, and a guardian's children", async () => {
    for (const [argv, sentence] of [
      [['consent', 'list', patientNumber], `No consents recorded for ${patientNumber}.`],
      [['assess', 'list', patientNumber], 'No assessments for Aarav Sharma yet.'],
      [['doc', 'list', patientNumber], `No documents for ${patientNumber} that you may see.`],
    ] as const) {
      const { code, stdout, stderr } = await roshni([...argv]);
      expect(code, stderr).toBe(0);
      expect(stdout).toBe(`${sentence}\n`);
    }
    expect((await roshni(['patient', 'show', patientNumber])).stdout).toMatch(/\n\nNo upcoming appointments\.\n$/);
    expect((await roshni(['guardian', 'show', String(guardianId)])).stdout).toMatch(
      new RegExp(`\\n\\nNo children linked yet: \`roshni guardian link ${guardianId} <patient>\`\\.\\n$`),
    );
  });

  it('prints an empty list with --json, not the sentence', async () => {
    const { code, stdout } = await roshni(['waitlist', 'list', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
