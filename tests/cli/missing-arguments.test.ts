import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { DESK_NOW, openDeskClinic } from './desk-clinic.js';

// A script (stdin not a terminal) is never asked anything: what is missing or ambiguous stops the
// command with one line and exit 2, before anything is written.
describe('scripts get one line and exit 2 instead of a question', () => {
  const appointmentCommands = [
    'cancel',
    'reschedule',
    'confirm',
    'checkin',
    'complete',
    'no-show',
    'appointments show',
    'pay cash',
    'pay card',
    'pay bank',
    'pay upi',
    'pay link',
    'pay order',
    'waive',
    'notes add',
    'notes edit',
    'notes show',
  ];

  // Stopped before the database is opened: no DATABASE_URL is needed to be told.
  it.each(appointmentCommands)('`roshni %s` without an appointment names <appointment>, not Commander', async (command) => {
    const { code, stdout, stderr } = await runCli(command.split(' '), {});
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`roshni: <appointment> is missing: give its number or id (roshni ${command} APT-000123); on a terminal, today's are offered.\n`);
  });

  describe('in a clinic with two patients named Gupta', () => {
    let desk: Awaited<ReturnType<typeof openDeskClinic>>;
    beforeAll(async () => {
      desk = await openDeskClinic();
    });
    afterAll(() => desk?.close());

    it('a name that matches several patients lists them and books nothing', async () => {
      const { code, stderr } = await runCli(['book', '--patient', 'Gupta', '--service', 'speech-therapy', '--at', '2031-03-05 10:00'], desk.env, {
        clock: fixedClock(DESK_NOW),
      });
      expect(code).toBe(2);
      expect(stderr).toBe(
        `roshni: "Gupta" matches several patients (${desk.aarav.patient_number} Aarav Gupta, ${desk.diya.patient_number} Diya Gupta); use the id.\n`,
      );
      const booked = await desk.database.db.selectFrom('appointments').select('id').where('patient_id', 'in', [desk.aarav.id, desk.diya.id]).execute();
      expect(booked).toEqual([]);
    });

    it('a booking given wholly by flags is written without a question', async () => {
      const { code, stdout, stderr } = await runCli(['book', '--patient', 'Aarav', '--service', 'speech-therapy', '--at', '2031-03-05 10:00'], desk.env, {
        clock: fixedClock(DESK_NOW),
      });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain('Booked APT-');
    });
  });
});
