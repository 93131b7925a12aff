import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { systemClock } from '../../src/infra/clock.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openClinicalClinic } from './clinical-clinic.js';

describe('roshni notes add on a terminal opens $EDITOR on the template', () => {
  // Each test opens a clinic of its own, whose sessions of three weeks ago have no notes yet.
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeEach(async () => {
    clinic = await openClinicalClinic();
  });
  afterEach(() => clinic?.close());

  it('records what the therapist wrote under each heading', async () => {
    // A stand-in editor: fills in two sections of the template it is given.
    const dir = mkdtempSync(join(tmpdir(), 'roshni-editor-'));
    const editor = join(dir, 'fake-editor.sh');
    writeFileSync(
      editor,
      `#!/bin/sh\nsed -i -e 's/^## Observations$/## Observations\\nNamed 8 of 10 pictures/' -e 's/^## Rating (1-5)$/## Rating (1-5)\\n5/' "$1"\n`,
    );
    chmodSync(editor, 0o755);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await main(['notes', 'add', clinic.appointments.second], {
      stdout,
      stderr,
      stdin,
      env: { ROSHNI_HOME: '/nonexistent/roshni-home', ...(await clinic.envOf('priya')), EDITOR: editor },
      clock: systemClock,
    });
    expect(code).toBe(0);
    expect(out).toContain(`Session notes recorded for ${clinic.appointments.second}.`);
    const row = await clinic.database.db.selectFrom('therapy_sessions').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ observations: 'Named 8 of 10 pictures', rating: 5, attendance: 'present', objectives: null });
  });

  it('refuses before the editor opens: notes already written, a session not yet marked, another therapist, the desk', async () => {
    // An editor that only leaves a trace that it was opened.
    const dir = mkdtempSync(join(tmpdir(), 'roshni-editor-'));
    const opened = join(dir, 'opened');
    const editor = join(dir, 'trace-editor.sh');
    writeFileSync(
      editor,
      `#!/bin/sh
touch '${opened}'
echo "## Observations\nTyped for nothing" > "$1"
`,
    );
    chmodSync(editor, 0o755);
    const onTerminal = async (appointment: string, user: string) => {
      const stderr = new PassThrough();
      let errors = '';
      stderr.on('data', (d: Buffer) => (errors += d.toString()));
      const code = await main(['notes', 'add', appointment], {
        stdout: new PassThrough(),
        stderr,
        stdin: Object.assign(new PassThrough(), { isTTY: true }),
        env: { ROSHNI_HOME: '/nonexistent/roshni-home', ...(await clinic.envOf(user)), EDITOR: editor },
        clock: systemClock,
      });
      return { code, errors };
    };
    const { second, unmarked, physio } = clinic.appointments;
    // Priya has already written the notes of her second session, from flags.
    expect((await clinic.roshni(['notes', 'add', second, '--observations', 'Named 8 of 10 pictures'], 'priya')).code).toBe(0);
    const before = await clinic.database.db.selectFrom('therapy_sessions').select('id').execute();
    const written = await onTerminal(second, 'priya');
    expect(written.errors).toContain(`${second} already has session notes`);
    expect(written.code).toBe(4);
    const notYet = await onTerminal(unmarked, 'priya');
    expect(notYet.errors).toContain('notes are written for a session that took place');
    expect(notYet.code).toBe(2);
    expect((await onTerminal(physio, 'priya')).code).toBe(5);
    expect((await onTerminal(physio, 'desk')).code).toBe(5);
    expect(existsSync(opened)).toBe(false);
    expect(await clinic.database.db.selectFrom('therapy_sessions').select('id').execute()).toEqual(before);
  });
});
