import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openClinicalClinic } from './clinical-clinic.js';

describe('roshni notes add on a terminal opens $EDITOR on the template', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  beforeAll(async () => {
    clinic = await openClinicalClinic();
  });
  afterAll(() => clinic?.close());

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
      env: { ROSHNI_HOME: '/nonexistent/roshni-home', DATABASE_URL: clinic.database.url, ROSHNI_USER: 'priya', EDITOR: editor },
    });
    expect(code).toBe(0);
    expect(out).toContain(`Session notes recorded for ${clinic.appointments.second}.`);
    const row = await clinic.database.db.selectFrom('therapy_sessions').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ observations: 'Named 8 of 10 pictures', rating: 5, attendance: 'present', objectives: null });
  });
});
