import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWhatsApp } from '../../src/bot/channels/whatsapp.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { openPostgres } from '../../src/infra/db/database.js';
import { currentRole, SERVICE_ROLE } from '../../src/infra/db/row-security.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { pdf, png, windowsProgram } from '../documents/sample-files.js';
import { engineFor, linkedChat, pollingBot } from './support.js';

// A prescription or a report sent to the clinic's chat is filed to the patient's record as "other",
// for review: through Telegram (downloaded with the real grammY client from the fake Bot API), through
// WhatsApp (whatsapp-web.js's downloadMedia), and a guardian of two says whose it is first.
describe('documents sent by chat', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let bot: Bot;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let dir: string;
  let store: FileDocumentStore;
  const clock = fixedClock('2026-12-01T02:30:00Z');

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 2, days: 2 });
    dir = mkdtempSync(join(tmpdir(), 'roshni-chat-docs-'));
    store = new FileDocumentStore(dir, 1024 * 1024);
    bot = await pollingBot(new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: store }), telegram);
  });
  afterAll(async () => {
    await bot?.stop();
    await telegram?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const documentsOf = (patientId: number) =>
    database.db
      .selectFrom('documents')
      .select(['doc_type', 'access_level', 'needs_review', 'mime_type', 'uploaded_via', 'original_name'])
      .where('patient_id', '=', patientId)
      .execute();

  it('Telegram: a PDF is filed for review; a program renamed .pdf is refused kindly, nothing kept', async () => {
    const patient = clinic.patients[0]!;
    await linkedChat(database.db, { channel: 'telegram', chatId: '7001', patientId: patient.id });
    const chat = { id: 7001, type: 'private' };
    const from = { id: 7001, is_bot: false, first_name: 'Asha' };
    telegram.addFile('rx-1', pdf('prescription'));
    telegram.pushUpdate({
      message: { message_id: 1, date: 0, chat, from, document: { file_id: 'rx-1', file_unique_id: 'u1', file_name: 'prescription.pdf', file_size: 80 } },
    });
    const sent = await telegram.waitForCalls('sendMessage', 1);
    expect(String(sent[0]!.params.text)).toMatch(/received your document/);
    expect(await documentsOf(patient.id)).toEqual([
      {
        doc_type: 'other',
        access_level: 'therapist',
        needs_review: true,
        mime_type: 'application/pdf',
        uploaded_via: 'telegram',
        original_name: 'prescription.pdf',
      },
    ]);

    telegram.addFile('exe-1', windowsProgram);
    telegram.pushUpdate({
      message: { message_id: 2, date: 0, chat, from, document: { file_id: 'exe-1', file_unique_id: 'u2', file_name: 'report.pdf', file_size: 256 } },
    });
    await telegram.waitForCalls('sendMessage', 3);
    expect(
      telegram
        .callsOf('sendMessage')
        .map((c) => String(c.params.text))
        .join('\n'),
    ).toMatch(/PDFs, photos, audio, video and office documents only/);
    expect(await documentsOf(patient.id)).toHaveLength(1);
  });

  it('WhatsApp: a photo is filed; too large a file is refused with the limit', async () => {
    const patient = clinic.patients[1]!;
    const from = `${patient.phone!.slice(1)}@c.us`;
    await linkedChat(database.db, { channel: 'whatsapp', chatId: from, patientId: patient.id });
    const client = new EventEmitter() as EventEmitter & { sendMessage: (chatId: string, content: unknown) => Promise<unknown> };
    const replies: string[] = [];
    client.sendMessage = async (_chatId, content) => (replies.push(String(content)), {});
    const adapter = attachWhatsApp(client as never, new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: store }), () => ({}));
    client.emit('message', { from, body: '', hasMedia: true, downloadMedia: async () => ({ data: png.toString('base64'), mimetype: 'image/png' }) });
    await adapter.idle();
    expect(replies.join('\n')).toMatch(/received your document/);
    client.emit('message', {
      from,
      body: '',
      hasMedia: true,
      downloadMedia: async () => ({
        data: Buffer.concat([pdf(), Buffer.alloc(2 * 1024 * 1024)]).toString('base64'),
        mimetype: 'application/pdf',
        filename: 'scan.pdf',
      }),
    });
    await adapter.idle();
    expect(replies.at(-2)).toMatch(/too large \(at most 1\.0 MB\)/);
    expect((await documentsOf(patient.id)).map((d) => [d.mime_type, d.uploaded_via])).toEqual([['image/png', 'whatsapp']]);
  });

  it('a guardian of two says whose it is; a stranger cannot file into another family, and without a store the bot says to bring it', async () => {
    const parent = await addGuardian(ctx, { fullName: 'Farah Khan', phone: '+919833344455', language: 'hi' });
    const [zoya, kabir] = [
      await addPatient(ctx, { fullName: 'Zoya Khan', dateOfBirth: '2017-01-01', withGuardian: { guardianId: parent.id, isPrimary: true } }),
      await addPatient(ctx, { fullName: 'Kabir Khan', dateOfBirth: '2019-01-01', withGuardian: { guardianId: parent.id, isPrimary: true } }),
    ];
    await linkedChat(database.db, { channel: 'terminal', chatId: 'parent-chat', guardianId: parent.id, language: 'hi' });
    const engine = engineFor(ctx, { documentStore: store });
    const send = (input: Parameters<typeof engine.handle>[0]['input']) => engine.handle({ channel: 'terminal', chatId: 'parent-chat', input });
    const asked = await send({ kind: 'document', bytes: pdf('school report'), name: 'school.pdf' });
    expect(asked.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/यह दस्तावेज़ किसका है/);
    const options = asked.flatMap((r) => (r.kind === 'choices' ? r.options : []));
    expect(options.map((o) => o.label)).toEqual(['Zoya Khan', 'Kabir Khan']);
    // Another patient's id typed as the answer is not among the choices: refused.
    const stranger = await send({ kind: 'choice', value: `patient:${clinic.patients[0]!.id}` });
    expect(stranger.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/बटन|विकल्प/);
    const filed = await send({ kind: 'choice', value: `patient:${kabir.id}` });
    expect(filed.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/दस्तावेज़ मिल गया/);
    expect(await documentsOf(kabir.id)).toHaveLength(1);
    expect(await documentsOf(zoya.id)).toHaveLength(0);

    const noStore = await engineFor(ctx).handle({ channel: 'terminal', chatId: 'parent-chat', input: { kind: 'document', bytes: pdf(), name: 'x.pdf' } });
    expect(noStore.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/क्लिनिक ले आएँ/);
  });

  it("works as the bots' role roshni_service, under the row security of the documents table", async () => {
    const app = await openPostgres(database.url, { max: 2, role: SERVICE_ROLE });
    try {
      expect(await currentRole(app.db)).toBe('roshni_service');
      const patient = await addPatient(ctx, { fullName: 'Role Check', phone: '+919833399901' });
      await linkedChat(database.db, { channel: 'terminal', chatId: 'app-role-chat', patientId: patient.id });
      const engine = new ConversationEngine({ db: app.db, clock, timezone: ctx.timezone, documentStore: store });
      const replies = await engine.handle({
        channel: 'terminal',
        chatId: 'app-role-chat',
        input: { kind: 'document', bytes: pdf('referral'), name: 'referral.pdf' },
      });
      expect(replies.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/received your document/);
      expect(await documentsOf(patient.id)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('an unexpected failure: the patient is told kindly, each admin alerted once with the channel only, the log has no person', async () => {
    const patient = await addPatient(ctx, { fullName: 'Failing Store', phone: '+919833399902' });
    await linkedChat(database.db, { channel: 'terminal', chatId: 'broken-store-chat', patientId: patient.id });
    await database.db
      .insertInto('staff_users')
      .values([
        { username: 'boss', full_name: 'Clinic Boss', role: 'admin' },
        { username: 'desk2', full_name: 'Desk', role: 'receptionist' },
      ])
      .execute();
    const broken = { maxBytes: 1024 * 1024, put: async () => Promise.reject(new Error('disk on fire')), get: async () => null, delete: async () => {} };
    const logged: string[] = [];
    const engine = new ConversationEngine({
      db: ctx.db,
      clock,
      timezone: ctx.timezone,
      documentStore: broken,
      log: (event, fields) => logged.push(JSON.stringify({ event, ...fields })),
    });
    const replies = await engine.handle({ channel: 'terminal', chatId: 'broken-store-chat', input: { kind: 'document', bytes: pdf(), name: 'x.pdf' } });
    expect(replies.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/something went wrong\. The clinic has been told/);
    const alerts = await database.db
      .selectFrom('notifications as n')
      .innerJoin('staff_users as s', 's.id', 'n.staff_user_id')
      .select(['s.username', 'n.payload'])
      .where('n.kind', '=', 'admin_alert')
      .execute();
    expect(alerts.map((a) => a.username)).toEqual(['boss']);
    expect(alerts[0]!.payload).toMatchObject({
      about: 'bot_error',
      channels: ['terminal'],
      count: 1,
      text: expect.stringContaining('unexpected error (unexpected:Error, on terminal)'),
    });
    expect(logged.join('\n')).not.toMatch(/Failing Store|9833399902/);
    expect(await documentsOf(patient.id)).toHaveLength(0);
  });
});
