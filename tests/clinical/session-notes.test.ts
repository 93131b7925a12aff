import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notesTemplate, parseNotesTemplate } from '../../src/cli/notes-template.js';
import { openClinicalClinic } from './clinical-clinic.js';

describe('therapy session notes, through the CLI', () => {
  // Each test opens a clinic of its own, whose sessions of three weeks ago have no notes yet.
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeEach(async () => {
    clinic = await openClinicalClinic();
  });
  afterEach(() => clinic?.close());

  /** Priya writes the notes of her first session with Patient 001. */
  async function priyaWritesTheFirstSessionsNotes() {
    const added = await clinic.roshni(
      [
        'notes',
        'add',
        clinic.appointments.first,
        '--objectives',
        'Produce /s/ in initial position',
        '--activities',
        'Picture cards, snake game',
        '--observations',
        'Lisped on /s/ blends',
        '--progress',
        '7 of 10 correct',
        '--homework',
        'Practise 5 words daily',
        '--next-plan',
        'Move to medial /s/',
        '--attendance',
        'late',
        '--response',
        'Engaged, tired at the end',
        '--rating',
        '4',
      ],
      'priya',
    );
    expect(added.code).toBe(0);
  }

  it("lists a therapist's completed sessions still without notes", async () => {
    const { first, second, physio } = clinic.appointments;
    const mine = await clinic.roshni(['notes', 'due', '--json'], 'priya');
    expect(mine.code).toBe(0);
    expect(JSON.parse(mine.stdout).map((r: { appointmentNumber: string }) => r.appointmentNumber)).toEqual([first, second]);
    const all = await clinic.roshni(['notes', 'due'], 'anita');
    expect(all.stdout).toContain('Notes due (3):');
    expect(all.stdout).toContain(physio);
    const other = await clinic.roshni(['notes', 'due', '--therapist', 'meera'], 'priya');
    expect(other.code).toBe(5);
  });

  it('records the notes of a session from flags, and shows them back', async () => {
    const { first } = clinic.appointments;
    const added = await clinic.roshni(
      [
        'notes',
        'add',
        first,
        '--objectives',
        'Produce /s/ in initial position',
        '--activities',
        'Picture cards, snake game',
        '--observations',
        'Lisped on /s/ blends',
        '--progress',
        '7 of 10 correct',
        '--homework',
        'Practise 5 words daily',
        '--next-plan',
        'Move to medial /s/',
        '--attendance',
        'late',
        '--response',
        'Engaged, tired at the end',
        '--rating',
        '4',
      ],
      'priya',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Session notes recorded for ${first}.`);

    const shown = await clinic.roshni(['notes', 'show', first], 'priya');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Attendance: late; rating 4/5');
    expect(shown.stdout).toContain('Objectives:\n  Produce /s/ in initial position');
    expect(shown.stdout).toContain('Homework:\n  Practise 5 words daily');

    const json = JSON.parse((await clinic.roshni(['notes', 'show', first, '--json'], 'anita')).stdout);
    expect(json).toMatchObject({ appointmentNumber: first, progressNotes: '7 of 10 correct', rating: 4, attendance: 'late' });

    const again = await clinic.roshni(['notes', 'add', first, '--observations', 'twice'], 'priya');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('already has session notes');
    const due = JSON.parse((await clinic.roshni(['notes', 'due', '--json'], 'priya')).stdout);
    expect(due.map((r: { appointmentNumber: string }) => r.appointmentNumber)).toEqual([clinic.appointments.second]);
  });

  it('refuses bad notes with a clear message and writes nothing', async () => {
    const { second } = clinic.appointments;
    const badRating = await clinic.roshni(['notes', 'add', second, '--observations', 'ok', '--rating', '9'], 'priya');
    expect(badRating.code).toBe(2);
    expect(badRating.stderr).toContain('rating: must be from 1 to 5');
    const empty = await clinic.roshni(['notes', 'add', second, '--attendance', 'present'], 'priya');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('The notes are empty');
    const count = await clinic.database.db.selectFrom('therapy_sessions').select('id').execute();
    expect(count).toHaveLength(0);
  });

  it('keeps receptionists out, and a therapist out of another therapist’s patients', async () => {
    const { first, physio } = clinic.appointments;
    const desk = await clinic.roshni(['notes', 'show', first], 'desk');
    expect(desk.code).toBe(5);
    expect(desk.stdout).toBe('');
    expect((await clinic.roshni(['notes', 'add', physio, '--observations', 'x'], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['notes', 'due'], 'desk')).code).toBe(5);

    const meera = await clinic.roshni(['notes', 'show', first], 'meera');
    expect(meera.code).toBe(5);
    expect(meera.stderr).toContain('only see and write the clinical records of their own patients');
    expect(meera.stdout).toBe('');
    // Priya never saw Meera's patient: she may not write their notes either.
    expect((await clinic.roshni(['notes', 'add', physio, '--observations', 'x'], 'priya')).code).toBe(5);
    // An admin reads but does not write.
    expect((await clinic.roshni(['notes', 'add', physio, '--observations', 'x'], 'anita')).code).toBe(5);
  });

  it('audits every read (and every refused one) by id, never with note text', async () => {
    const { first } = clinic.appointments;
    await priyaWritesTheFirstSessionsNotes();
    expect((await clinic.roshni(['notes', 'show', first], 'priya')).code).toBe(0);
    expect((await clinic.roshni(['notes', 'show', first, '--json'], 'anita')).code).toBe(0);
    expect((await clinic.roshni(['notes', 'show', first], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['notes', 'show', first], 'meera')).code).toBe(5);
    const reads = await clinic.audit('clinical.read');
    const ok = reads.filter((r) => r.outcome === 'ok');
    expect(ok).toHaveLength(2);
    expect(ok.every((r) => r.entity === 'therapy_session' && r.patient_id === clinic.clinic.patients[0]!.id)).toBe(true);
    expect(ok.map((r) => r.actor_role)).toEqual(['therapist', 'admin']);
    expect(reads.filter((r) => r.outcome === 'denied').length).toBeGreaterThanOrEqual(2);
    const everything = JSON.stringify(await clinic.database.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of ['initial position', 'Picture cards', 'Lisped', 'Practise', 'tired', 'Patient 001']) expect(everything).not.toContain(secret);
  });

  it('says when a completed session has no notes yet', async () => {
    const { unmarked } = clinic.appointments;
    await priyaWritesTheFirstSessionsNotes();
    const done = await clinic.roshni(['complete', unmarked], 'priya');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Completed ${unmarked}.`);
    expect(done.stderr).toContain(`No session notes yet: write them with \`roshni notes add ${unmarked}\`.`);
    const due = JSON.parse((await clinic.roshni(['notes', 'due', '--json'], 'priya')).stdout);
    expect(due.map((r: { appointmentNumber: string }) => r.appointmentNumber)).toEqual([clinic.appointments.second, unmarked]);
  });
});

describe('the $EDITOR template for session notes', () => {
  it('round-trips the sections and ignores comments and empty ones', () => {
    const template = notesTemplate('APT-000001');
    expect(template).toContain('## Objectives');
    const filled = template
      .replace('## Objectives\n', '## Objectives\nSay /s/ in words\nand in phrases\n')
      .replace('## Rating (1-5)\n', '## Rating (1-5)\n5\n');
    expect(parseNotesTemplate(filled)).toEqual({ objectives: 'Say /s/ in words\nand in phrases', attendance: 'present', rating: '5' });
  });
});
