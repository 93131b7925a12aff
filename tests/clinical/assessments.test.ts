import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { openClinicalClinic } from './clinical-clinic.js';

const today = clinicDate(new Date(), 'Asia/Kolkata');
/** A review date ahead of today, whenever the tests run. */
const review = addDays(today, 60);

describe('assessments with findings checked against their template, through the CLI', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
  });
  afterAll(() => clinic?.close());

  const articulation = {
    sounds: [
      { sound: 's', position: 'initial', correct: false },
      { sound: 'p', position: 'initial', correct: true },
      { sound: 'k', position: 'final', correct: true },
      { sound: 'r', position: 'medial', correct: false },
    ],
    intelligibilityPercent: 65,
    stimulable: ['s'],
  };

  it('records an initial articulation screen from inline JSON, with its scores', async () => {
    const result = await clinic.roshni(
      [
        'assess',
        'new',
        '--patient',
        'Patient 001',
        '--kind',
        'initial',
        '--template',
        'slp-articulation-screen',
        '--data',
        JSON.stringify(articulation),
        '--summary',
        'Fronting of /s/',
        '--recommendations',
        'Twice weekly therapy',
        '--next-review',
        review,
        '--json',
      ],
      'priya',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const assessment = JSON.parse(result.stdout);
    expect(assessment).toMatchObject({
      kind: 'initial',
      template: 'slp-articulation-screen',
      scores: { percentCorrect: 50, intelligibilityPercent: 65 },
      nextReviewOn: review,
    });
  });

  it('records a range-of-motion table from a JSON file, shows it and lists it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-assess-'));
    const file = join(dir, 'rom.json');
    writeFileSync(file, JSON.stringify({ joints: [{ joint: 'knee', side: 'left', movement: 'flexion', activeDegrees: 108, normalDegrees: 135 }] }));
    const added = await clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 002', '--kind', 'progress', '--template', 'pt-range-of-motion', '--data', file],
      'meera',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Recorded progress assessment \d+ \(Physio: range of motion table\) for Patient 002: percentOfNormal 80\./);
    const id = Number(/assessment (\d+)/.exec(added.stdout)![1]);

    const shown = await clinic.roshni(['assess', 'show', String(id)], 'meera');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Scores: percentOfNormal 80');
    expect(shown.stdout).toContain('"activeDegrees": 108');
    const listed = await clinic.roshni(['assess', 'list', 'Patient 002'], 'anita');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/progress\s+pt-range-of-motion\s+percentOfNormal 80\s+Meera Iyer/);
  });

  it('refuses malformed findings naming the field, and writes nothing', async () => {
    const before = (await clinic.database.db.selectFrom('assessments').select('id').execute()).length;
    const cases: Array<[unknown, string]> = [
      [{ ...articulation, sounds: [{ sound: 's', position: 'beginning', correct: true }] }, 'field sounds[0].position: must be one of initial, medial, final'],
      [{ ...articulation, intelligibilityPercent: 140 }, 'field intelligibilityPercent: must be from 0 to 100'],
      [{ ...articulation, intelligibility: 60 }, 'field intelligibility: is not a field of this template (a typo?)'],
      [{ ...articulation, sounds: [{ sound: 's', position: 'initial' }] }, 'field sounds[0].correct: must be true or false'],
      [{ sounds: [], intelligibilityPercent: 50 }, 'field sounds: must list at least one sound tested'],
    ];
    for (const [data, message] of cases) {
      const result = await clinic.roshni(
        ['assess', 'new', '--patient', 'Patient 001', '--kind', 'progress', '--template', 'slp-articulation-screen', '--data', JSON.stringify(data)],
        'priya',
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Assessment data (slp-articulation-screen)');
      expect(result.stderr).toContain(message);
    }
    const notJson = await clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 001', '--kind', 'initial', '--template', 'slp-articulation-screen', '--data', '{"sounds": ['],
      'priya',
    );
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('--data is not valid JSON');
    const noTemplate = await clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 001', '--kind', 'initial', '--template', 'slp-nope', '--data', '{}'],
      'priya',
    );
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toContain(
      'No assessment template "slp-nope". Templates: slp-articulation-screen, ot-sensory-profile-summary, pt-range-of-motion.',
    );
    const badKind = await clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 001', '--kind', 'final', '--template', 'slp-articulation-screen', '--data', JSON.stringify(articulation)],
      'priya',
    );
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('kind: must be one of initial, progress, reassessment, discharge');
    expect((await clinic.database.db.selectFrom('assessments').select('id').execute()).length).toBe(before);
  });

  it("refuses another patient's appointment, a date ahead and a review not after the assessment, writing nothing", async () => {
    const before = (await clinic.database.db.selectFrom('assessments').select('id').execute()).length;
    const attempt = (...extra: string[]) =>
      clinic.roshni(
        [
          'assess',
          'new',
          '--patient',
          'Patient 001',
          '--kind',
          'progress',
          '--template',
          'slp-articulation-screen',
          '--data',
          JSON.stringify(articulation),
          ...extra,
        ],
        'priya',
      );
    // Meera's physio session with Patient 002.
    const foreign = await attempt('--appointment', clinic.appointments.physio);
    expect(foreign.stderr).toContain(`${clinic.appointments.physio} is another patient's appointment`);
    expect(foreign.code).toBe(2);
    const ahead = await attempt('--on', addDays(today, 3));
    expect(ahead.stderr).toContain('is in the future');
    expect(ahead.code).toBe(2);
    const reviewBefore = await attempt('--on', addDays(today, -10), '--next-review', addDays(today, -20));
    expect(reviewBefore.stderr).toContain(`nextReviewOn: must be after the assessment (${addDays(today, -10)})`);
    expect(reviewBefore.code).toBe(2);
    expect((await clinic.database.db.selectFrom('assessments').select('id').execute()).length).toBe(before);
    // The patient's own session is accepted.
    const own = await attempt('--appointment', clinic.appointments.first, '--on', addDays(today, -10), '--next-review', addDays(today, 20));
    expect(own.stderr).toBe('');
    expect(own.code).toBe(0);
  });

  it('keeps receptionists and other therapists out, and audits each read', async () => {
    const recorded = await clinic.roshni(
      [
        'assess',
        'new',
        '--patient',
        'Patient 001',
        '--kind',
        'initial',
        '--template',
        'slp-articulation-screen',
        '--data',
        JSON.stringify(articulation),
        '--summary',
        'Fronting of /s/',
        '--recommendations',
        'Twice weekly therapy',
        '--json',
      ],
      'priya',
    );
    expect(recorded.code).toBe(0);
    const mine = { id: JSON.parse(recorded.stdout).id as number, patient_id: clinic.clinic.patients[0]!.id };
    const readsBefore = (await clinic.audit('clinical.read')).filter((r) => r.outcome === 'ok').length;
    const deniedBefore = (await clinic.audit('clinical.read')).filter((r) => r.outcome === 'denied').length;
    expect((await clinic.roshni(['assess', 'show', String(mine!.id)], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['assess', 'list', 'Patient 001'], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['assess', 'show', String(mine!.id)], 'meera')).code).toBe(5);
    const write = await clinic.roshni(
      ['assess', 'new', '--patient', 'Patient 001', '--kind', 'initial', '--template', 'slp-articulation-screen', '--data', JSON.stringify(articulation)],
      'meera',
    );
    expect(write.code).toBe(5);

    expect((await clinic.roshni(['assess', 'show', String(mine!.id)], 'priya')).code).toBe(0);
    expect((await clinic.roshni(['assess', 'list', 'Patient 001', '--json'], 'anita')).code).toBe(0);
    const reads = (await clinic.audit('clinical.read')).filter((r) => r.outcome === 'ok');
    expect(reads.length - readsBefore).toBe(2);
    expect(reads.slice(-2)).toMatchObject([
      { entity: 'assessment', entity_id: String(mine!.id), patient_id: mine!.patient_id, actor_role: 'therapist' },
      { entity: 'assessment', entity_id: null, patient_id: mine!.patient_id, actor_role: 'admin' },
    ]);
    const denied = (await clinic.audit('clinical.read')).filter((r) => r.outcome === 'denied');
    expect(denied.length - deniedBefore).toBe(3);
    const everything = JSON.stringify(await clinic.database.db.selectFrom('audit_log').selectAll().execute());
    expect(everything).not.toContain('Fronting');
    expect(everything).not.toContain('Twice weekly');
  });
});
