import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import { fileDocumentFromChat } from '../../src/domain/documents/chat-documents.js';
import { sha256Of } from '../../src/domain/documents/document-store.js';
import { addDocument } from '../../src/domain/documents/documents.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';
import { docx, pdf, png, windowsProgram } from './sample-files.js';

/** Every file under a folder, relative to it (the document store's content). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('documents, through the CLI', () => {
  // Each test opens a clinic of its own, with no documents yet, and a Roshni home of its own to keep them in.
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let home: string;
  let work: string;
  let documentsDir: string;
  const file = (name: string, bytes: Uint8Array) => {
    const path = join(work, name);
    writeFileSync(path, bytes);
    return path;
  };
  // Signed in as `as`; by default as Anita, the admin (where the clinic's own work was once done as the system).
  const roshni = async (argv: string[], as = 'anita') => runCli(argv, { ...(await clinic.envOf(as)), ROSHNI_HOME: home, ROSHNI_MAX_DOCUMENT_MB: '1' });
  const rows = () => clinic.database.db.selectFrom('documents').selectAll().orderBy('id').execute();
  const blobs = () => filesUnder(documentsDir).filter((f) => !f.startsWith('.tmp'));

  beforeEach(async () => {
    clinic = await openClinicalClinic();
    home = mkdtempSync(join(tmpdir(), 'roshni-docs-home-'));
    work = mkdtempSync(join(tmpdir(), 'roshni-docs-files-'));
    documentsDir = join(home, 'documents');
  });
  afterEach(async () => {
    await clinic?.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  /** Priya files her speech report on Patient 001. */
  async function priyaFilesHerReport(): Promise<{ id: number; sha256: string }> {
    const added = await roshni(['doc', 'add', 'P-00001', file('Speech report (Nov).pdf', pdf('speech report')), '--type', 'report', '--json'], 'priya');
    expect(added.code).toBe(0);
    return JSON.parse(added.stdout);
  }

  it("files a therapist's report, content-addressed by SHA-256, and lists it", async () => {
    const bytes = pdf('speech report');
    const added = await roshni(['doc', 'add', 'P-00001', file('Speech report (Nov).pdf', bytes), '--type', 'report', '--json'], 'priya');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const doc = JSON.parse(added.stdout);
    expect(doc).toMatchObject({ docType: 'report', name: 'Speech report (Nov).pdf', mimeType: 'application/pdf', access: 'therapist', needsReview: false });
    const sha = sha256Of(bytes);
    expect(doc.sha256).toBe(sha);
    expect(blobs()).toEqual([join(sha.slice(0, 2), sha.slice(2))]);
    expect(readFileSync(join(documentsDir, sha.slice(0, 2), sha.slice(2)))).toEqual(bytes);

    const listed = await roshni(['doc', 'list', 'P-00001'], 'priya');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Speech report (Nov).pdf');
    expect(listed.stdout).toContain('application/pdf');
  });

  it('ties a document to a session with notes, and refuses a session without them', async () => {
    const { first, second } = clinic.appointments;
    expect((await roshni(['notes', 'add', first, '--observations', 'Good session'], 'priya')).code).toBe(0);
    const tied = await roshni(['doc', 'add', 'P-00001', file('cards.png', png), '--type', 'media', '--session', first, '--json'], 'priya');
    expect(tied.stderr).toBe('');
    expect(tied.code).toBe(0);
    expect(JSON.parse(tied.stdout).therapySessionId).toBeTypeOf('number');
    const untied = await roshni(['doc', 'add', 'P-00001', file('cards2.docx', docx), '--type', 'media', '--session', second], 'priya');
    expect(untied.code).toBe(2);
    expect(untied.stderr).toContain('has no session notes yet');
    const listed = JSON.parse((await roshni(['doc', 'list', 'P-00001', '--json'], 'anita')).stdout);
    expect(listed.find((d: { name: string }) => d.name === 'cards.png').appointmentNumber).toBe(first);
  });

  it('refuses a program renamed .pdf, an oversized file, a traversal name and a text file, writing nothing', async () => {
    const before = { rows: (await rows()).length, blobs: blobs() };
    const program = await roshni(['doc', 'add', 'P-00001', file('report.pdf', windowsProgram), '--type', 'report'], 'priya');
    expect(program.code).toBe(2);
    expect(program.stderr).toContain('By its content the file is a program (exe), not a document');

    const big = Buffer.concat([pdf(), Buffer.alloc(1024 * 1024)]);
    const oversized = await roshni(['doc', 'add', 'P-00001', file('big.pdf', big), '--type', 'report'], 'priya');
    expect(oversized.code).toBe(2);
    expect(oversized.stderr).toContain('documents may be at most 1.0 MB');

    // A ../ path that resolves to /etc/passwd (however deep the checkout is): a text file, not a document.
    const traversal = await roshni(['doc', 'add', 'P-00001', relative(process.cwd(), '/etc/passwd'), '--type', 'report'], 'priya');
    expect(traversal.code).toBe(2);
    expect(traversal.stderr).toContain('cannot be recognised from its content');

    expect((await rows()).length).toBe(before.rows);
    expect(blobs()).toEqual(before.blobs);
    expect(filesUnder(join(documentsDir, '.tmp'))).toEqual([]);
  });

  it('keeps one copy of the same content, and lets it go only with its last document', async () => {
    const bytes = pdf('shared referral');
    const a = JSON.parse((await roshni(['doc', 'add', 'P-00001', file('referral.pdf', bytes), '--type', 'referral', '--json'], 'anita')).stdout);
    const b = JSON.parse((await roshni(['doc', 'add', 'P-00001', file('referral-copy.pdf', bytes), '--type', 'referral', '--json'], 'anita')).stdout);
    expect(b.storedOnce).toBe(true);
    const sha = sha256Of(bytes);
    const path = join(documentsDir, sha.slice(0, 2), sha.slice(2));
    const noReason = await roshni(['doc', 'remove', String(a.id)], 'anita');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason is required');
    const first = await roshni(['doc', 'remove', String(a.id), '--reason', 'Filed twice'], 'anita');
    expect(first.stdout).toContain('its content is kept');
    expect(existsSync(path)).toBe(true);
    expect((await roshni(['doc', 'remove', String(b.id), '--reason', 'Wrong patient'], 'anita')).code).toBe(0);
    expect(existsSync(path)).toBe(false);
    const removed = await clinic.database.db
      .selectFrom('documents')
      .select(['removed_reason', 'removed_at'])
      .where('id', 'in', [a.id, b.id])
      .orderBy('id')
      .execute();
    expect(removed.map((r) => r.removed_reason)).toEqual(['Filed twice', 'Wrong patient']);
    const gone = await roshni(['doc', 'get', String(b.id), '--out', join(work, 'x.pdf')], 'anita');
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('was removed (Wrong patient)');
  });

  it('gets a document back, byte for byte, to a file or stdout, never overwriting by accident', async () => {
    const report = await priyaFilesHerReport();
    const out = join(work, 'out.pdf');
    const got = await roshni(['doc', 'get', String(report!.id), '--out', out], 'priya');
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(sha256Of(readFileSync(out))).toBe(report.sha256);
    const again = await roshni(['doc', 'get', String(report!.id), '--out', out], 'priya');
    expect(again.code).toBe(4);
    expect((await roshni(['doc', 'get', String(report!.id), '--out', out, '--force'], 'priya')).code).toBe(0);
    const piped = await roshni(['doc', 'get', String(report!.id), '--out', '-'], 'anita');
    expect(piped.stdout.startsWith('%PDF-1.4')).toBe(true);

    // A folder that does not exist: refused before the read, which is not audited as done.
    const readsBefore = await clinic.database.db.selectFrom('audit_log').select('id').where('action', '=', 'document.read').execute();
    const nowhere = join(work, 'no-such-folder', 'x.pdf');
    const missing = await roshni(['doc', 'get', String(report!.id), '--out', nowhere], 'priya');
    expect(missing.stderr).toContain(`Cannot write ${nowhere}: its folder does not exist.`);
    expect(missing.code).toBe(2);
    const intoFolder = await roshni(['doc', 'get', String(report!.id), '--out', work, '--force'], 'priya');
    expect(intoFolder.stderr).toContain(`Cannot write ${work}: it is a folder.`);
    expect(intoFolder.code).toBe(2);
    expect(await clinic.database.db.selectFrom('audit_log').select('id').where('action', '=', 'document.read').execute()).toEqual(readsBefore);
  });

  it('enforces access levels: receptionists see no clinical documents, therapists only their own patients', async () => {
    const report = await priyaFilesHerReport();
    const before = { rows: (await rows()).length, blobs: blobs() };
    // The desk files the patient's own paperwork, and may not file clinical papers.
    const clinical = await roshni(['doc', 'add', 'P-00001', file('rx.pdf', pdf('prescription')), '--type', 'prescription'], 'desk');
    expect(clinical.code).toBe(5);
    expect(clinical.stderr).toContain('A receptionist may not handle clinical documents (access: therapist)');
    expect((await rows()).length).toBe(before.rows);
    expect(blobs()).toEqual(before.blobs);
    const form = await roshni(['doc', 'add', 'P-00001', file('consent.pdf', pdf('consent form')), '--type', 'consent_form', '--json'], 'desk');
    expect(form.code).toBe(0);
    expect(JSON.parse(form.stdout).access).toBe('patient');

    const deskList = JSON.parse((await roshni(['doc', 'list', 'P-00001', '--json'], 'desk')).stdout);
    expect(deskList.map((d: { name: string }) => d.name)).toEqual(['consent.pdf']);
    const deskGet = await roshni(['doc', 'get', String(report!.id), '--out', join(work, 'desk.pdf')], 'desk');
    expect(deskGet.code).toBe(5);
    expect(existsSync(join(work, 'desk.pdf'))).toBe(false);

    // Meera never saw Patient 001.
    expect((await roshni(['doc', 'list', 'P-00001'], 'meera')).code).toBe(5);
    const meeraGet = await roshni(['doc', 'get', String(report!.id), '--out', join(work, 'meera.pdf')], 'meera');
    expect(meeraGet.code).toBe(5);
    expect(meeraGet.stderr).toContain('only handle the documents of their own patients');

    // Admin-only papers: not even the patient's own therapist.
    const secret = JSON.parse(
      (await roshni(['doc', 'add', 'P-00001', file('complaint.pdf', pdf('complaint')), '--type', 'other', '--access', 'admin', '--json'], 'anita')).stdout,
    );
    expect((await roshni(['doc', 'get', String(secret.id), '--out', join(work, 'p.pdf')], 'priya')).code).toBe(5);
    expect(JSON.parse((await roshni(['doc', 'list', 'P-00001', '--json'], 'priya')).stdout).some((d: { id: number }) => d.id === secret.id)).toBe(false);
    expect((await roshni(['doc', 'remove', String(secret.id), '--reason', 'x y z'], 'priya')).code).toBe(5);
  });

  it('audits every read and every refusal by id, never with the name', async () => {
    // A day of Patient 001's papers: filed, listed and read by those who may, refused to those who may not.
    const report = await priyaFilesHerReport();
    const referral = JSON.parse(
      (await roshni(['doc', 'add', 'P-00001', file('referral.pdf', pdf('referral')), '--type', 'referral', '--json'], 'anita')).stdout,
    );
    expect((await roshni(['doc', 'add', 'P-00001', file('consent.pdf', pdf('consent form')), '--type', 'consent_form'], 'desk')).code).toBe(0);
    expect((await roshni(['doc', 'add', 'P-00001', file('complaint.pdf', pdf('complaint')), '--type', 'other', '--access', 'admin'], 'anita')).code).toBe(0);
    expect((await roshni(['doc', 'add', 'P-00001', file('rx.pdf', pdf('prescription')), '--type', 'prescription'], 'desk')).code).toBe(5);
    for (const [as, json] of [
      ['priya', false],
      ['priya', true],
      ['anita', true],
      ['desk', true],
    ] as const) {
      expect((await roshni(['doc', 'list', 'P-00001', ...(json ? ['--json'] : [])], as)).code).toBe(0);
    }
    expect((await roshni(['doc', 'get', String(report.id), '--out', join(work, 'report.pdf')], 'priya')).code).toBe(0);
    expect((await roshni(['doc', 'get', String(report.id), '--out', '-'], 'anita')).code).toBe(0);
    expect((await roshni(['doc', 'get', String(referral.id), '--out', join(work, 'referral-read.pdf')], 'anita')).code).toBe(0);
    expect((await roshni(['doc', 'get', String(report.id), '--out', join(work, 'desk.pdf')], 'desk')).code).toBe(5);
    expect((await roshni(['doc', 'get', String(report.id), '--out', join(work, 'meera.pdf')], 'meera')).code).toBe(5);

    const audit = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', 'like', 'document.%').orderBy('id').execute();
    const reads = audit.filter((a) => a.action === 'document.read');
    expect(reads.filter((a) => a.outcome === 'ok').length).toBeGreaterThanOrEqual(3);
    expect(reads.filter((a) => a.outcome === 'denied').map((a) => a.actor_role)).toEqual(expect.arrayContaining(['receptionist', 'therapist']));
    expect(audit.filter((a) => a.action === 'document.list' && a.outcome === 'ok').length).toBeGreaterThanOrEqual(4);
    expect(audit.filter((a) => a.action === 'document.add' && a.outcome === 'denied').map((a) => a.actor_role)).toEqual(['receptionist']);
    expect(audit.every((a) => a.patient_id === clinic.clinic.patients[0]!.id)).toBe(true);
    const text = JSON.stringify(audit);
    for (const name of ['Speech report', 'referral.pdf', 'consent.pdf', 'complaint']) expect(text).not.toContain(name);
  });
});

describe('documents sent from a chat', () => {
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let dir: string;
  const ctxAs = (actor: Actor) => ({
    ...systemContext(clinic.database.db, fixedClock('2026-11-20T10:00:00Z')),
    actor,
    documentStore: new FileDocumentStore(dir, 1024 * 1024),
  });

  beforeAll(async () => {
    clinic = await openClinicalClinic();
    dir = mkdtempSync(join(tmpdir(), 'roshni-chat-docs-'));
  });
  afterAll(async () => {
    await clinic?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("are filed to the child's record as 'other', for the therapists' review, under a safe name", async () => {
    const system = ctxAs({ kind: 'system' });
    const mother = await addGuardian(system, { fullName: 'Sunita Rao', phone: '+919811122233' });
    const child = await addPatient(system, { fullName: 'Kabir Rao', dateOfBirth: '2019-04-02', withGuardian: { guardianId: mother.id, isPrimary: true } });
    const asMother = ctxAs({ kind: 'guardian', guardianId: mother.id });
    const bytes = pdf('prescription from Dr. Iyer');
    const filed = await fileDocumentFromChat(asMother, { patientId: child.id, bytes, originalName: '../../etc/passwd', channel: 'telegram' });
    expect(filed).toMatchObject({ patientId: child.id, name: 'passwd', mimeType: 'application/pdf' });
    const row = await clinic.database.db.selectFrom('documents').selectAll().where('id', '=', filed.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ doc_type: 'other', access_level: 'therapist', needs_review: true, uploaded_via: 'telegram', uploaded_by_staff_id: null });
    const sha = sha256Of(bytes);
    expect(filesUnder(dir)).toEqual([join(sha.slice(0, 2), sha.slice(2))]);
    const [entry] = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'document.add').execute();
    expect(entry).toMatchObject({ actor_kind: 'guardian', actor_id: mother.id, patient_id: child.id, entity_id: String(filed.id) });

    // A name with control characters is shown without them.
    const second = await fileDocumentFromChat(asMother, { patientId: child.id, bytes: png, originalName: 'scan\u202Egnp.exe', channel: 'whatsapp' });
    expect(second.name).toBe('scangnp.exe');
    expect(second.mimeType).toBe('image/png');
  });

  it("refuses another family's patient, programs and oversized files, writing nothing", async () => {
    const system = ctxAs({ kind: 'system' });
    const stranger = await addGuardian(system, { fullName: 'Vikram Shah', phone: '+919811144455' });
    const before = { files: filesUnder(dir), rows: (await clinic.database.db.selectFrom('documents').select('id').execute()).length };
    const asStranger = ctxAs({ kind: 'guardian', guardianId: stranger.id });
    const patientId = clinic.clinic.patients[0]!.id;
    await expect(fileDocumentFromChat(asStranger, { patientId, bytes: pdf(), originalName: 'x.pdf', channel: 'telegram' })).rejects.toThrow(
      'No patient with id',
    );
    const asPatient = ctxAs({ kind: 'patient', patientId });
    await expect(fileDocumentFromChat(asPatient, { patientId, bytes: windowsProgram, originalName: 'report.pdf', channel: 'telegram' })).rejects.toMatchObject({
      kind: 'invalid',
      details: { reason: 'type_not_allowed' },
    });
    await expect(
      fileDocumentFromChat(asPatient, { patientId, bytes: Buffer.concat([pdf(), Buffer.alloc(1024 * 1024)]), originalName: 'big.pdf', channel: 'telegram' }),
    ).rejects.toMatchObject({
      details: { reason: 'too_large' },
    });
    await expect(fileDocumentFromChat(ctxAs({ kind: 'system' }), { patientId, bytes: pdf(), originalName: 'x.pdf', channel: 'telegram' })).rejects.toThrow(
      'staff use `roshni doc add`',
    );
    expect(filesUnder(dir)).toEqual(before.files);
    expect((await clinic.database.db.selectFrom('documents').select('id').execute()).length).toBe(before.rows);
  });

  it('staff: a name holding a path is refused outright, nothing written', async () => {
    const before = filesUnder(dir);
    const admin = ctxAs({ kind: 'system' });
    await expect(
      addDocument(admin, { patientId: clinic.clinic.patients[0]!.id, bytes: pdf('x'), originalName: '../../etc/passwd', docType: 'report' }),
    ).rejects.toThrow('originalName: must be a plain file name');
    expect(filesUnder(dir)).toEqual(before);
  });
});
