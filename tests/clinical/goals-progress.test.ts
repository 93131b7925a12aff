import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sparkline } from '../../src/cli/sparkline.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { openClinicalClinic } from './clinical-clinic.js';

describe('goals measured over sessions, and the progress chart', () => {
  // Each test opens a clinic of its own, where Patient 001 has seen Priya for speech therapy.
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeEach(async () => {
    clinic = await openClinicalClinic();
  });
  afterEach(() => clinic?.close());

  /** Priya sets Patient 001 a goal, notes the first session and measures the goal over four weeks: 30, 45, 40, 65%. */
  async function priyaMeasuresAGoal() {
    const added = await clinic.roshni(
      [
        'goal',
        'add',
        '--patient',
        'Patient 001',
        '--description',
        'Says /s/ correctly in initial position',
        '--baseline',
        '20',
        '--target',
        '80',
        '--by',
        '2027-03-31',
        '--json',
      ],
      'priya',
    );
    expect(added.code).toBe(0);
    const goal = JSON.parse(added.stdout);
    const { first } = clinic.appointments;
    expect((await clinic.roshni(['notes', 'add', first, '--observations', 'Good effort'], 'priya')).code).toBe(0);
    for (const [value, on] of [
      ['30', '2026-10-01'],
      ['45', '2026-10-08'],
      ['40', '2026-10-15'],
      ['65', '2026-10-22'],
    ] as const) {
      const measured = await clinic.roshni(
        ['goal', 'measure', String(goal.id), value, '--on', on, ...(on === '2026-10-01' ? ['--appointment', first] : [])],
        'priya',
      );
      expect(measured.code).toBe(0);
    }
    return goal as { id: number };
  }

  it('adds a goal, measures it over four sessions and draws its trend', async () => {
    const added = await clinic.roshni(
      [
        'goal',
        'add',
        '--patient',
        'Patient 001',
        '--description',
        'Says /s/ correctly in initial position',
        '--baseline',
        '20',
        '--target',
        '80',
        '--by',
        '2027-03-31',
        '--json',
      ],
      'priya',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const goal = JSON.parse(added.stdout);
    const { first } = clinic.appointments;
    await clinic.roshni(['notes', 'add', first, '--observations', 'Good effort'], 'priya');
    for (const [value, on] of [
      ['30', '2026-10-01'],
      ['45', '2026-10-08'],
      ['40', '2026-10-15'],
      ['65', '2026-10-22'],
    ] as const) {
      const measured = await clinic.roshni(
        ['goal', 'measure', String(goal.id), value, '--on', on, ...(on === '2026-10-01' ? ['--appointment', first] : [])],
        'priya',
      );
      expect(measured.stderr).toBe('');
      expect(measured.code).toBe(0);
    }
    expect((await clinic.roshni(['goal', 'measure', String(goal.id), 'lots'], 'priya')).stderr).toContain('value: must be a number');
    const ahead = await clinic.roshni(['goal', 'measure', String(goal.id), '70', '--on', addDays(clinicDate(new Date(), 'Asia/Kolkata'), 2)], 'priya');
    expect(ahead.code).toBe(2);
    expect(ahead.stderr).toContain('is in the future');

    const shown = await clinic.roshni(['progress', 'Patient 001'], 'priya');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Progress of Patient 001 (P-');
    expect(shown.stdout).toContain(`${goal.id}. Says /s/ correctly in initial position`);
    expect(shown.stdout).toContain('baseline 20% → target 80% by 2027-03-31');
    // Scaled between baseline 20 and target 80: 30 → ▂, 45 → ▄, 40 → ▃, 65 → ▆.
    expect(shown.stdout).toContain('▂▄▃▆  30, 45, 40, 65');
    expect(shown.stdout).toContain('latest 65% on 2026-10-22: 75% of the way from baseline to target');

    const json = JSON.parse((await clinic.roshni(['progress', 'Patient 001', '--json'], 'anita')).stdout);
    expect(json[0]).toMatchObject({ baseline: 20, target: 80, latest: 65, percentOfWay: 75 });
    expect(json[0].measurements).toHaveLength(4);
  });

  it('writes the progress as an HTML page with a chart per goal, to share with the family', async () => {
    await priyaMeasuresAGoal();
    const dir = mkdtempSync(join(tmpdir(), 'roshni-progress-'));
    const file = join(dir, 'progress.html');
    const written = await clinic.roshni(['progress', 'Patient 001', '--out', file], 'priya');
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`Wrote the progress of Patient 001 (1 goal(s), with charts) to ${file}.`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Patient 001 (P-');
    expect(html).toContain('<h2>Says /s/ correctly in initial position</h2>');
    expect(html).toContain('Latest 65% on 2026-10-22: 75% of the way from baseline to target.');
    // One chart: the four measurements joined, against the baseline and the target.
    expect(html.match(/<svg /g)?.length).toBe(1);
    expect(html.match(/<circle /g)?.length).toBe(4);
    expect(html).toContain('<title>2026-10-15: 40%</title>');
    expect(html).toContain('baseline 20%');
    expect(html).toContain('target 80%');
    expect(html).toContain('<td>2026-10-08</td><td class="n">45%</td>');
    // Self-contained, and no session notes on it.
    expect(html).not.toMatch(/https?:|\/\/[a-z]|<script|<link|<img|@import|url\(/i);
    expect(html).not.toContain('Good effort');

    const again = await clinic.roshni(['progress', 'Patient 001', '--out', file], 'priya');
    expect(again.code).toBe(4);
    expect((await clinic.roshni(['progress', 'Patient 001', '--out', file, '--force'], 'priya')).code).toBe(0);
    // Read for a page: audited as such, a refusal writes no file.
    const shared = (await clinic.audit('clinical.read')).filter((r) => r.entity === 'progress' && r.outcome === 'ok').at(-1);
    expect(shared?.meta).toMatchObject({ goals: 1, format: 'html' });
    const refused = await clinic.roshni(['progress', 'Patient 001', '--out', join(dir, 'desk.html')], 'desk');
    expect(refused.code).toBe(5);
    expect(existsSync(join(dir, 'desk.html'))).toBe(false);
  });

  it('keeps receptionists and other therapists out, and audits each read', async () => {
    const goal = await priyaMeasuresAGoal();
    expect((await clinic.roshni(['progress', 'Patient 001'], 'priya')).code).toBe(0);
    expect((await clinic.roshni(['progress', 'Patient 001', '--json'], 'anita')).code).toBe(0);
    expect((await clinic.roshni(['progress', 'Patient 001'], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['progress', 'Patient 001'], 'meera')).code).toBe(5);
    expect((await clinic.roshni(['goal', 'add', '--patient', 'Patient 001', '--description', 'Walks', '--baseline', '1', '--target', '2'], 'meera')).code).toBe(
      5,
    );
    expect((await clinic.roshni(['goal', 'measure', String(goal.id), '90'], 'desk')).code).toBe(5);
    const reads = (await clinic.audit('clinical.read')).filter((r) => r.entity === 'progress');
    expect(reads.map((r) => [r.outcome, r.actor_role])).toEqual([
      ['ok', 'therapist'],
      ['ok', 'admin'],
      ['denied', 'receptionist'],
      ['denied', 'therapist'],
    ]);
    const everything = JSON.stringify(await clinic.database.db.selectFrom('audit_log').selectAll().execute());
    expect(everything).not.toContain('initial position');
  });

  it('writes a unit that is a word after a space, a symbol right after the number', async () => {
    const added = await clinic.roshni(
      ['goal', 'add', '--patient', 'Patient 002', '--description', 'Climbs stairs unaided', '--baseline', '2', '--target', '10', '--unit', 'steps'],
      'meera',
    );
    expect(added.stdout).toContain('baseline 2 steps, target 10 steps.');
    const id = /goal (\d+)/.exec(added.stdout)![1]!;
    expect((await clinic.roshni(['goal', 'measure', id, '4'], 'meera')).stdout).toContain('Recorded 4 steps for goal');
    const knee = await clinic.roshni(
      ['goal', 'add', '--patient', 'Patient 002', '--description', 'Knee flexion', '--baseline', '90', '--target', '130', '--unit', '°'],
      'meera',
    );
    expect(knee.stdout).toContain('baseline 90°, target 130°.');
  });

  it('draws a sparkline within a fixed range, clamping what falls outside', () => {
    expect(sparkline([0, 50, 100])).toBe('▁▅█');
    expect(sparkline([5, 5])).toBe('▄▄');
    expect(sparkline([-10, 200], 0, 100)).toBe('▁█');
    expect(sparkline([])).toBe('');
  });
});
