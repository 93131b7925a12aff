import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, onPseudoTerminal as startOnPseudoTerminal } from '../support/pty.js';
import { DESK_NOW, openDeskClinic } from './desk-clinic.js';

// The receptionist at a real terminal (a pseudo-terminal running the built CLI, its clock pinned to
// DESK_NOW): what is missing or ambiguous is asked, and a booking is confirmed before it is written.
describe('at the desk terminal, commands ask instead of giving up', { timeout: 60_000 }, () => {
  let desk: Awaited<ReturnType<typeof openDeskClinic>>;
  beforeAll(async () => {
    desk = await openDeskClinic();
  });
  afterAll(() => desk?.close());

  // A test that fails while a prompt waits leaves no CLI behind.
  const started: Array<ReturnType<typeof startOnPseudoTerminal>> = [];
  const onPseudoTerminal = (...args: Parameters<typeof startOnPseudoTerminal>) => {
    const term = startOnPseudoTerminal(...args);
    started.push(term);
    return term;
  };
  afterEach(() => {
    for (const term of started.splice(0)) term.kill();
  });

  const appointmentsOf = (patientId: number) => desk.database.db.selectFrom('appointments').selectAll().where('patient_id', '=', patientId).execute();

  /** `roshni book`, typing "Gupta", picking Diya (the second match), the first service, any therapist, the first time. */
  async function bookDiyaUpToTheSummary() {
    const term = onPseudoTerminal(['book'], desk.env, { at: DESK_NOW });
    await term.waitFor('Patient (name, phone, P-number or id)');
    await term.type(`Gupta${KEYS.enter}`);
    await term.waitFor('"Gupta" matches 2 patients');
    await term.waitFor(`${desk.aarav.patient_number}  Aarav Gupta  age 11, guardian Sunita Gupta`);
    await term.waitFor(`${desk.diya.patient_number}  Diya Gupta  age 9, guardian Rahul Gupta`);
    await term.type(`${KEYS.down}${KEYS.enter}`);
    await term.waitFor('Service');
    await term.type(KEYS.enter);
    await term.waitFor('Any therapist');
    await term.type(KEYS.enter);
    await term.waitFor('Which time?');
    await term.type(KEYS.enter);
    await term.waitFor(`Diya Gupta (${desk.diya.patient_number})`);
    await term.waitFor('Book it?');
    return term;
  }

  it('offers the patients a name matches, with P-number, age and guardian, then books the one picked once confirmed', async () => {
    const [diyaBefore, aaravBefore] = [await appointmentsOf(desk.diya.id), await appointmentsOf(desk.aarav.id)];
    const term = await bookDiyaUpToTheSummary();
    const screen = term.shown();
    expect(screen).toMatch(/Therapist +(Dr\. Priya Sharma|Meera Iyer)/);
    expect(screen).toMatch(/When +\w{3}, \d+ \w{3}.*\(Asia\/Kolkata\)/);
    expect(screen).toMatch(/Price +₹[\d,]+\.\d{2}/);
    expect(await appointmentsOf(desk.diya.id)).toEqual(diyaBefore); // nothing is written before the answer
    await term.type(KEYS.enter); // Yes is the default
    await term.waitFor('Booked APT-');
    expect(await term.exitCode()).toBe(0);
    expect(await appointmentsOf(desk.diya.id)).toHaveLength(diyaBefore.length + 1);
    expect(await appointmentsOf(desk.aarav.id)).toEqual(aaravBefore);
  });

  it('writes nothing when the summary is declined, and says so (exit 2)', async () => {
    const before = await appointmentsOf(desk.diya.id);
    const term = await bookDiyaUpToTheSummary();
    await term.type('n');
    await term.waitFor('Cancelled; nothing was changed.');
    expect(await term.exitCode()).toBe(2);
    expect(await appointmentsOf(desk.diya.id)).toEqual(before);
  });

  it('asks again when no patient matches', async () => {
    const before = await appointmentsOf(desk.aarav.id);
    const term = onPseudoTerminal(['book', '--service', 'speech-therapy', '--therapist', 'any'], desk.env, { at: DESK_NOW });
    await term.waitFor('Patient (name, phone, P-number or id)');
    await term.type(`Mehta${KEYS.enter}`);
    await term.waitFor('No patient matches "Mehta".');
    await term.type(`Aarav${KEYS.enter}`);
    await term.waitFor('Which time?');
    await term.type(KEYS.escape);
    await term.waitFor('Cancelled; nothing was changed.');
    expect(await term.exitCode()).toBe(2);
    expect(await appointmentsOf(desk.aarav.id)).toEqual(before);
  });

  it('shows a weekly series before booking it, and books none of it when declined', async () => {
    const before = await appointmentsOf(desk.aarav.id);
    const argv = ['book', '--patient', 'Gupta', '--service', 'speech-therapy', '--therapist', 'priya', '--repeat', 'wed', '--at', '10:00', '--weeks', '2'];
    const term = onPseudoTerminal(argv, desk.env, { at: DESK_NOW });
    await term.waitFor('"Gupta" matches 2 patients');
    await term.type(KEYS.enter); // Aarav
    await term.waitFor(`Aarav Gupta (${desk.aarav.patient_number})`);
    await term.waitFor('wed at 10:00, 2 weeks from 2031-03-04 (Asia/Kolkata)');
    await term.waitFor('Book the series?');
    await term.type('n');
    await term.waitFor('Cancelled; nothing was changed.');
    expect(await term.exitCode()).toBe(2);
    expect(await appointmentsOf(desk.aarav.id)).toEqual(before);
  });

  it('books at once, with no summary, when the flags said everything (as a script would)', async () => {
    const term = onPseudoTerminal(['book', '--patient', 'Aarav', '--service', 'speech-therapy', '--therapist', 'any', '--at', '2031-03-06 10:00'], desk.env, {
      at: DESK_NOW,
    });
    await term.waitFor('Booked APT-');
    expect(await term.exitCode()).toBe(0);
    expect(term.shown()).not.toContain('Book it?');
  });

  it('--yes books what the terminal helped choose without the summary', async () => {
    const term = onPseudoTerminal(
      ['book', '--patient', 'Gupta', '--service', 'speech-therapy', '--therapist', 'any', '--at', '2031-03-06 11:00', '--yes'],
      desk.env,
      { at: DESK_NOW },
    );
    await term.waitFor('"Gupta" matches 2 patients');
    await term.type(`${KEYS.down}${KEYS.enter}`);
    await term.waitFor('Booked APT-');
    expect(await term.exitCode()).toBe(0);
    expect(term.shown()).not.toContain('Book it?');
  });

  it('offers the therapists a name part matches, and goes on with the one picked', async () => {
    const term = onPseudoTerminal(['today', '--therapist', 'a'], desk.env, { at: DESK_NOW });
    await term.waitFor('"a" matches 2 therapists');
    await term.waitFor(`Dr. Priya Sharma  id ${desk.clinic.speech.id}`);
    await term.waitFor(`Meera Iyer  id ${desk.clinic.physio.id}`);
    await term.type(KEYS.enter);
    await term.waitFor('Today, 2031-03-04');
    await term.waitFor(desk.todays.appointmentNumber);
    expect(await term.exitCode()).toBe(0);
  });

  it("`pay cash` with no appointment offers today's, then takes what is due", async () => {
    const term = onPseudoTerminal(['pay', 'cash'], desk.env, { at: DESK_NOW });
    await term.waitFor("Which of today's appointments (2031-03-04)?");
    await term.waitFor(`12:00  Patient 001  Speech therapy session  Dr. Priya Sharma  ${desk.todays.appointmentNumber}, scheduled`);
    await term.type(KEYS.enter);
    await term.waitFor('Amount received, in rupees');
    await term.type(KEYS.enter);
    await term.waitFor('Received ₹');
    expect(await term.exitCode()).toBe(0);
    const paid = await desk.database.db.selectFrom('appointments').select('payment_status').where('id', '=', desk.todays.id).executeTakeFirstOrThrow();
    expect(paid.payment_status).toBe('paid');
  });
});
