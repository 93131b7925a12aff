import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { removeFromWaitlist } from '../../src/domain/scheduling/waitlist.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';
import { chatter, engineFor, linkedChat } from './support.js';

// Joining the waitlist twice, by chat or at the desk, leaves one entry: the second time the patient
// hears until when they already wait and may wait two weeks longer instead.
describe('the waitlist, joined twice', () => {
  let database: TestDatabase;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let env: Record<string, string>;
  const clock = fixedClock('2027-04-01T03:00:00Z'); // Thu 1 Apr 2027, 08:30 IST
  const ctx = () => systemContext(database.db, clock);

  beforeAll(async () => {
    database = await createTestDatabase();
    clinic = await seedClinic(ctx(), { patients: 3, days: 2 });
    await addStaffUser(ctx(), { username: 'farhan.desk', fullName: 'Farhan Ali', role: 'receptionist' });
    env = { DATABASE_URL: database.url, ROSHNI_SESSION: await sessionFor(database.db, 'farhan.desk') };
  });
  afterAll(() => database?.close());

  const waitingRows = (patientId: number) =>
    database.db
      .selectFrom('waitlist_entries')
      .select(['id', 'earliest_on', 'latest_on', 'status'])
      .where('patient_id', '=', patientId)
      .where('status', 'in', ['waiting', 'offered'])
      .execute();

  it('the desk chatting as a patient, joining twice: one entry, and "already on the waitlist until …"', async () => {
    const patient = clinic.patients[0]!;
    const run = await runCli(['chat', '--as', patient.phone!], env, { input: '4\n1\n4\n1\n/quit\n', clock });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/You are on the waitlist for .+ until Wed, 14 Apr/);
    expect(run.stdout).toMatch(/You are already on the waitlist for .+ until .+ Would you like to wait until .+ instead\?/);
    expect(await waitingRows(patient.id)).toHaveLength(1);
  });

  it('"Yes, wait until …" moves the one entry\'s last day, in Hindi too', async () => {
    const child = await addPatient(ctx(), { fullName: 'Kabir Verma', dateOfBirth: '2019-03-14' });
    await linkedChat(database.db, { channel: 'telegram', chatId: 'wl-hi', patientId: child.id, language: 'hi' });
    const chat = chatter(engineFor(ctx()), 'wl-hi', { channel: 'telegram' });
    for (let join = 0; join < 2; join++) {
      await chat.write('menu');
      await chat.pressValue('waitlist');
      await chat.press(0);
    }
    expect(chat.text()).toMatch(/आप पहले से .+ तक .+ की प्रतीक्षा सूची में हैं/);
    await chat.press(/तक प्रतीक्षा करें/);
    expect(chat.text()).toMatch(/हो गया: आप .+ तक .+ की प्रतीक्षा सूची में हैं/);
    const rows = await waitingRows(child.id);
    // Joined 1 Apr for two weeks (to 14 Apr); two weeks more from then.
    expect(rows).toEqual([expect.objectContaining({ earliest_on: '2027-04-01', latest_on: '2027-04-28' })]);
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_kind'])
      .where('action', '=', 'waitlist.change_dates')
      .where('entity_id', '=', String(rows[0]!.id))
      .execute();
    expect(audit).toEqual([{ action: 'waitlist.change_dates', actor_kind: 'patient' }]);
  });

  it('"No, keep …" changes nothing', async () => {
    const patient = clinic.patients[1]!;
    await linkedChat(database.db, { channel: 'whatsapp', chatId: 'wl-en', patientId: patient.id });
    const chat = chatter(engineFor(ctx()), 'wl-en', { channel: 'whatsapp' });
    for (let join = 0; join < 2; join++) {
      await chat.write('menu');
      await chat.pressValue('waitlist');
      await chat.press(0);
    }
    await chat.press(/No, keep/);
    expect(chat.text()).toMatch(/nothing changed/);
    expect(await waitingRows(patient.id)).toEqual([expect.objectContaining({ latest_on: '2027-04-14' })]);

    // Asked again, but the desk takes the entry off before the answer: nothing to change.
    await chat.write('menu');
    await chat.pressValue('waitlist');
    await chat.press(0);
    const [entry] = await waitingRows(patient.id);
    await removeFromWaitlist(ctx(), { entryId: entry!.id });
    await chat.press(/Yes, wait until/);
    expect(chat.text()).toMatch(/no longer waiting on that entry/);
  });

  it('`waitlist add` twice: the second says until when and exits 4; `waitlist dates` changes the dates', async () => {
    const patient = clinic.patients[2]!;
    const add = ['waitlist', 'add', '--patient', patient.patient_number, '--service', 'speech-therapy', '--from', '2027-04-01', '--to', '2027-04-10'];
    const first = await runCli(add, env, { clock });
    expect(first.code, first.stderr).toBe(0);
    const again = await runCli([...add.slice(0, -2), '--to', '2027-04-20'], env, { clock });
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/is already on the waitlist \(entry (\d+)\) for Speech therapy session until 2027-04-10; nothing changed/);
    const [entry] = await waitingRows(patient.id);
    expect(await waitingRows(patient.id)).toHaveLength(1);
    const moved = await runCli(['waitlist', 'dates', String(entry!.id), '--from', '2027-04-01', '--to', '2027-04-20'], env, { clock });
    expect(moved.code, moved.stderr).toBe(0);
    expect(await waitingRows(patient.id)).toEqual([expect.objectContaining({ id: entry!.id, latest_on: '2027-04-20' })]);
  });
});
