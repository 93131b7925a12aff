import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { slotsOn, systemContext } from '../support/clinic.js';
import { CLEAR_LINE, DOWN, ENTER, onTerminal } from '../support/terminal.js';
import { openClinicalClinic } from './clinical-clinic.js';

describe('clinical commands ask for what is missing on a terminal', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let env: (user: string, extra?: Record<string, string>) => Promise<Record<string, string>>;
  let deskSession: string;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
    env = async (user, extra = {}) => ({ ...(await clinic.envOf(user)), ...extra });
    // A physio session of Patient 003 that took place and is not marked yet.
    const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
    const ctx = systemContext(clinic.database.db, fixedClock(`${start}T00:00:00Z`));
    const [, , , physio12] = await slotsOn(ctx, clinic.clinic.physio.id, addDays(start, 1));
    const booked = await bookAppointment(ctx, { patientId: clinic.clinic.patients[2]!.id, serviceId: clinic.clinic.physioService.id, slotId: physio12!.id });
    deskSession = booked.appointmentNumber;
  });
  afterAll(() => clinic?.close());

  it('goal add asks for the patient, the goal, the unit, baseline, target and date, checking each', async () => {
    const run = await onTerminal(['goal', 'add'], await env('priya'), [
      ['Patient (name, phone, P-number or id)', `Patient 001${ENTER}`],
      ['What is the goal?', `Says /r/ in initial position${ENTER}`],
      ['Unit of the values', ENTER],
      ['Baseline', `lots${ENTER}`],
      ['must be a number', `${CLEAR_LINE}20${ENTER}`],
      ['Target', `80${ENTER}`],
      ['Target date', ENTER],
    ]);
    expect(run.unanswered).toEqual([]);
    expect(run.errors).toBe('');
    expect(run.code).toBe(0);
    expect(run.shown).toContain('Added goal');
    const goal = await clinic.database.db.selectFrom('goals').selectAll().where('description', '=', 'Says /r/ in initial position').executeTakeFirstOrThrow();
    expect(goal).toMatchObject({ unit: '%', baseline_value: 20, target_value: 80, target_on: null, therapist_id: clinic.clinic.speech.id });
  });

  it('assess new asks for the kind and template from lists, then findings checked against the template', async () => {
    const nextReview = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 60);
    const run = await onTerminal(['assess', 'new'], await env('priya'), [
      ['Patient (name, phone, P-number or id)', `P-00001${ENTER}`],
      ['Kind of assessment', `${DOWN}${ENTER}`],
      ['Template', ENTER],
      ['Findings', `{"sounds": []}${ENTER}`],
      [
        'must list at least one sound tested',
        `${CLEAR_LINE}{"sounds": [{"sound": "s", "position": "initial", "correct": true}], "intelligibilityPercent": 60}${ENTER}`,
      ],
      ['Summary', ENTER],
      ['Recommendations', `Twice weekly${ENTER}`],
      ['Next review date', `${nextReview}${ENTER}`],
    ]);
    expect(run.unanswered).toEqual([]);
    expect(run.errors).toBe('');
    expect(run.code).toBe(0);
    expect(run.shown).toContain('Recorded progress assessment');
    const row = await clinic.database.db.selectFrom('assessments').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      kind: 'progress',
      template_code: 'slp-articulation-screen',
      recommendations: 'Twice weekly',
      next_review_on: nextReview,
      summary: null,
    });
    expect(row.data).toMatchObject({ intelligibilityPercent: 60 });
  });

  it('assess new opens $EDITOR on the template example for the findings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-editor-'));
    const editor = join(dir, 'fake-editor.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i -e 's/"intelligibilityPercent": 70/"intelligibilityPercent": 85/' "$1"\n`);
    chmodSync(editor, 0o755);
    const run = await onTerminal(
      ['assess', 'new', '--patient', 'Patient 001', '--kind', 'initial', '--template', 'slp-articulation-screen'],
      await env('priya', { EDITOR: editor }),
      [
        ['Summary', ENTER],
        ['Recommendations', ENTER],
        ['Next review date', ENTER],
      ],
    );
    expect(run.unanswered).toEqual([]);
    expect(run.code).toBe(0);
    const row = await clinic.database.db.selectFrom('assessments').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'initial', recommendations: null });
    expect(row.data).toMatchObject({ intelligibilityPercent: 85, stimulable: ['s'] });
  });

  it('without a terminal, goal add and assess new still stop naming the missing flag', async () => {
    const goal = await clinic.roshni(['goal', 'add', '--patient', 'Patient 001'], 'priya');
    expect(goal.code).toBe(2);
    expect(goal.stderr).toContain('--description is required');
    const assess = await clinic.roshni(['assess', 'new', '--patient', 'Patient 001'], 'priya');
    expect(assess.code).toBe(2);
    expect(assess.stderr).toContain('--kind is required: initial, progress, reassessment or discharge.');
    const data = await clinic.roshni(['assess', 'new', '--patient', 'Patient 001', '--kind', 'initial', '--template', 'slp-articulation-screen'], 'priya');
    expect(data.stderr).toContain('--data is required');
  });

  it('on a terminal, someone who may not write clinical records is refused before any question', async () => {
    for (const [argv, user] of [
      [['goal', 'add'], 'anita'],
      [['assess', 'new'], 'desk'],
    ] as const) {
      const run = await onTerminal([...argv], await env(user), []);
      expect(run.code).toBe(5);
      expect(run.errors).toContain('may not write clinical records (clinical.write: therapist only).');
      expect(run.shown).not.toContain('Patient (name, phone, P-number or id)');
    }
  });

  it('completing a session on a terminal offers its therapist to write the notes there and then', async () => {
    const { unmarked } = clinic.appointments;
    const run = await onTerminal(['complete', unmarked], await env('priya'), [
      [`Write the session notes of ${unmarked} now?`, ENTER],
      ['Objectives', `Initial /r/${ENTER}`],
      ['Activities', ENTER],
      ['Materials', ENTER],
      ['Observations', `Good effort${ENTER}`],
      ['Progress notes', ENTER],
      ['Homework', ENTER],
      ['Next plan', ENTER],
      ['Attendance', ENTER],
      ['Patient response', ENTER],
      ['Rating', `4${ENTER}`],
    ]);
    expect(run.unanswered).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.shown).toContain(`Completed ${unmarked}.`);
    expect(run.errors).toContain(`Session notes recorded for ${unmarked}.`);
    const notes = await clinic.database.db
      .selectFrom('therapy_sessions as s')
      .innerJoin('appointments as a', 'a.id', 's.appointment_id')
      .selectAll('s')
      .where('a.appointment_number', '=', unmarked)
      .executeTakeFirstOrThrow();
    expect(notes).toMatchObject({ objectives: 'Initial /r/', observations: 'Good effort', attendance: 'present', rating: 4, activities: null });
  });

  it('completing on a terminal as someone who may not write the notes only gives the hint', async () => {
    const run = await onTerminal(['complete', deskSession], await env('desk'), []);
    expect(run.code).toBe(0);
    expect(run.shown).toContain(`Completed ${deskSession}.`);
    expect(run.shown).not.toContain('Write the session notes');
    expect(run.errors).toContain(`No session notes yet: write them with \`roshni notes add ${deskSession}\`.`);
  });
});
