import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { editSessionNotes } from '../../src/domain/clinical/edit-session-notes.js';
import { ConflictError } from '../../src/domain/errors.js';
import { completeAppointment } from '../../src/domain/scheduling/attendance.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock, systemClock } from '../../src/infra/clock.js';
import { slotsOn, systemContext } from '../support/clinic.js';
import { openClinicalClinic } from './clinical-clinic.js';

describe('editing session notes: only by their author, audited without their text', () => {
  // Each test opens a clinic of its own, where Priya has written the notes of her first session with Patient 001.
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  const notesOf = (appointment: string) =>
    clinic.database.db
      .selectFrom('therapy_sessions as s')
      .innerJoin('appointments as a', 'a.id', 's.appointment_id')
      .selectAll('s')
      .where('a.appointment_number', '=', appointment)
      .executeTakeFirstOrThrow();

  beforeEach(async () => {
    clinic = await openClinicalClinic();
    const { first } = clinic.appointments;
    const added = await clinic.roshni(
      ['notes', 'add', first, '--objectives', 'Initial /s/', '--observations', 'Lisped on blends', '--homework', 'Five words daily', '--rating', '3'],
      'priya',
    );
    expect(added.code).toBe(0);
    // Meera saw Patient 001 too (a physio session that took place): she may read their records, not edit Priya's notes.
    const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
    const clock = fixedClock(`${start}T00:00:00Z`);
    const ctx = systemContext(clinic.database.db, clock);
    const [, , , physio12] = await slotsOn(ctx, clinic.clinic.physio.id, addDays(start, 1));
    const physio = await bookAppointment(ctx, { patientId: clinic.clinic.patients[0]!.id, serviceId: clinic.clinic.physioService.id, slotId: physio12!.id });
    clock.set(`${addDays(start, 1)}T12:00:00Z`);
    await completeAppointment(ctx, { appointmentId: physio.id });
  });
  afterEach(() => clinic?.close());

  it('changes only the fields given, and says which', async () => {
    const { first } = clinic.appointments;
    const edited = await clinic.roshni(['notes', 'edit', first, '--observations', 'Lisped on /s/ blends only', '--rating', '4', '--json'], 'priya');
    expect(edited.stderr).toBe('');
    expect(edited.code).toBe(0);
    expect(JSON.parse(edited.stdout)).toMatchObject({
      changed: ['observations', 'rating'],
      observations: 'Lisped on /s/ blends only',
      rating: 4,
      objectives: 'Initial /s/',
    });
    expect(await notesOf(first)).toMatchObject({
      observations: 'Lisped on /s/ blends only',
      rating: 4,
      objectives: 'Initial /s/',
      homework: 'Five words daily',
    });

    const [entry] = await clinic.audit('clinical.notes_edit');
    expect(entry).toMatchObject({ entity: 'therapy_session', actor_role: 'therapist', patient_id: clinic.clinic.patients[0]!.id, outcome: 'ok' });
    expect(entry!.before).toEqual({ observations: { chars: 'Lisped on blends'.length }, rating: 3 });
    expect(entry!.after).toEqual({ observations: { chars: 'Lisped on /s/ blends only'.length }, rating: 4 });
    expect(JSON.stringify(entry)).not.toMatch(/Lisped|blends/);

    const text = await clinic.roshni(['notes', 'edit', first, '--homework', '', '--rating', ''], 'priya');
    expect(text.stdout).toContain(`Session notes of ${first} edited: homework, rating.`);
    expect(await notesOf(first)).toMatchObject({ homework: null, rating: null });

    const same = await clinic.roshni(['notes', 'edit', first, '--objectives', 'Initial /s/'], 'priya');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`Nothing changed in the session notes of ${first}.`);
    expect(await clinic.audit('clinical.notes_edit')).toHaveLength(2);
  });

  it('refuses notes left empty, bad values, and a non-terminal without flags; nothing is written', async () => {
    const { first, second } = clinic.appointments;
    const before = await notesOf(first);
    const empty = await clinic.roshni(['notes', 'edit', first, '--objectives', '', '--observations', '', '--homework', ''], 'priya');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('The notes would be empty');
    const rating = await clinic.roshni(['notes', 'edit', first, '--rating', '7'], 'priya');
    expect(rating.code).toBe(2);
    expect(rating.stderr).toContain('rating: must be from 1 to 5');
    const attendance = await clinic.roshni(['notes', 'edit', first, '--attendance', 'asleep'], 'priya');
    expect(attendance.stderr).toContain('attendance: must be one of present, late, left_early, absent');
    const noFlags = await clinic.roshni(['notes', 'edit', first], 'priya');
    expect(noFlags.code).toBe(2);
    expect(noFlags.stderr).toContain('Give the fields to change as flags');
    expect(await notesOf(first)).toEqual(before);
    const none = await clinic.roshni(['notes', 'edit', second, '--observations', 'x'], 'priya');
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('has no session notes yet');
  });

  it('lets no one but the author edit, and audits the refusals', async () => {
    const { first } = clinic.appointments;
    const before = await notesOf(first);
    const meera = await clinic.roshni(['notes', 'edit', first, '--observations', 'Mine now'], 'meera');
    expect(meera.code).toBe(5);
    expect(meera.stderr).toContain(`Only the therapist who wrote the notes of ${first} may edit them.`);
    expect((await clinic.roshni(['notes', 'edit', first, '--observations', 'x'], 'anita')).code).toBe(5);
    expect((await clinic.roshni(['notes', 'edit', first, '--observations', 'x'], 'desk')).code).toBe(5);
    expect(await notesOf(first)).toEqual(before);
    const denied = (await clinic.audit('clinical.write')).filter((r) => r.outcome === 'denied' && r.entity === 'therapy_session');
    expect(denied.map((r) => r.actor_role)).toEqual(['therapist', 'admin', 'receptionist']);
  });

  it('refuses an edit of notes that changed since they were read', async () => {
    const { first } = clinic.appointments;
    const priya = await clinic.database.db.selectFrom('staff_users').select('id').where('username', '=', 'priya').executeTakeFirstOrThrow();
    const ctx = {
      ...systemContext(clinic.database.db),
      actor: { kind: 'staff' as const, staffUserId: priya.id, role: 'therapist' as const, therapistId: clinic.clinic.speech.id },
    };
    const appointment = await clinic.database.db.selectFrom('appointments').select('id').where('appointment_number', '=', first).executeTakeFirstOrThrow();
    await expect(
      editSessionNotes(ctx, { appointmentId: appointment.id, observations: 'Stale', unchangedSince: new Date('2020-01-01T00:00:00Z') }),
    ).rejects.toThrow(ConflictError);
    expect((await notesOf(first)).observations).not.toBe('Stale');
  });

  it('on a terminal, opens $EDITOR on the notes as written and saves what changed', async () => {
    const { first } = clinic.appointments;
    const dir = mkdtempSync(join(tmpdir(), 'roshni-editor-'));
    const editor = join(dir, 'fake-editor.sh');
    // Rewrites the observations written before; clears the objectives.
    writeFileSync(editor, `#!/bin/sh\nsed -i -e 's/^Lisped on blends$/Clear \\/s\\/ in 8 of 10 words/' -e '/^Initial \\/s\\/$/d' "$1"\n`);
    chmodSync(editor, 0o755);
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await main(['notes', 'edit', first], {
      stdout,
      stderr: new PassThrough(),
      stdin: Object.assign(new PassThrough(), { isTTY: true }),
      env: { ROSHNI_HOME: '/nonexistent/roshni-home', ...(await clinic.envOf('priya')), EDITOR: editor },
      clock: systemClock,
    });
    expect(code).toBe(0);
    expect(out).toContain(`Session notes of ${first} edited: objectives, observations.`);
    expect(await notesOf(first)).toMatchObject({ observations: 'Clear /s/ in 8 of 10 words', objectives: null, attendance: 'present' });
  });
});

describe('goal status', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let goalId: number;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
    const added = await clinic.roshni(
      ['goal', 'add', '--patient', 'Patient 001', '--description', 'Names ten animals', '--baseline', '2', '--target', '10', '--unit', ' words', '--json'],
      'priya',
    );
    goalId = JSON.parse(added.stdout).id;
  });
  afterAll(() => clinic?.close());

  it('marks a goal achieved, shows it in the progress view, and back to active', async () => {
    const achieved = await clinic.roshni(['goal', 'status', String(goalId), 'achieved'], 'priya');
    expect(achieved.stderr).toBe('');
    expect(achieved.stdout).toContain(`Goal ${goalId} is now achieved (was active).`);
    expect((await clinic.roshni(['progress', 'Patient 001'], 'priya')).stdout).toContain(`${goalId}. Names ten animals (achieved)`);
    const again = await clinic.roshni(['goal', 'status', String(goalId), 'achieved'], 'priya');
    expect(again.stdout).toContain(`Goal ${goalId} is already achieved.`);
    const back = JSON.parse((await clinic.roshni(['goal', 'status', String(goalId), 'active', '--json'], 'priya')).stdout);
    expect(back).toMatchObject({ changed: true, previous: 'achieved', goal: { status: 'active' } });
    const audit = await clinic.audit('clinical.goal_status');
    expect(audit.map((r) => [r.before, r.after])).toEqual([
      [{ status: 'active' }, { status: 'achieved' }],
      [{ status: 'achieved' }, { status: 'active' }],
    ]);
  });

  it('refuses an unknown status or goal, and anyone outside the patient’s care', async () => {
    const paused = await clinic.roshni(['goal', 'status', String(goalId), 'paused'], 'priya');
    expect(paused.code).toBe(2);
    expect(paused.stderr).toContain('status: must be one of active, achieved, discontinued');
    expect((await clinic.roshni(['goal', 'status', '9999', 'achieved'], 'priya')).code).toBe(3);
    expect((await clinic.roshni(['goal', 'status', String(goalId), 'discontinued'], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['goal', 'status', String(goalId), 'discontinued'], 'meera')).code).toBe(5);
    expect((await clinic.roshni(['goal', 'status', String(goalId), 'discontinued'], 'anita')).code).toBe(5);
    const goal = await clinic.database.db.selectFrom('goals').select('status').where('id', '=', goalId).executeTakeFirstOrThrow();
    expect(goal.status).toBe('active');
  });
});
