import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../src/bot/channels/telegram.js';
import { attachWhatsApp } from '../../src/bot/channels/whatsapp.js';
import { withActor } from '../../src/domain/context.js';
import { addDocument, getDocument, listDocuments } from '../../src/domain/documents/documents.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { fixedClock } from '../../src/infra/clock.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { openPostgres } from '../../src/infra/db/database.js';
import { currentRole, declareActor, SERVICE_ROLE, STAFF_ROLE } from '../../src/infra/db/row-security.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { sessionFor } from '../support/staff-sessions.js';
import { pdf, png } from '../documents/sample-files.js';
import { chatter, engineFor, linkedChat } from './support.js';

// Documents the clinic shares with a family (access "patient" or "family") reach the patient or
// guardian as files through the chat; clinical papers ("therapist", "admin") never do.
describe('documents the clinic shares, by chat', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let bot: Bot | undefined;
  let dir: string;
  let store: FileDocumentStore;
  let ctx: ReturnType<typeof systemContext> & { documentStore: FileDocumentStore };
  const clock = fixedClock('2026-12-01T02:30:00Z');
  const family = { guardianId: 0, zoya: 0, kabir: 0 };
  const docs = { progress: 0, invoice: 0, prescription: 0 };
  const progressBytes = pdf('progress report for parents');

  beforeAll(async () => {
    [database, telegram] = await Promise.all([createTestDatabase(), startFakeTelegram()]);
    dir = mkdtempSync(join(tmpdir(), 'roshni-shared-docs-'));
    store = new FileDocumentStore(dir, 1024 * 1024);
    ctx = { ...systemContext(database.db, clock), documentStore: store };
    await seedClinic(ctx, { patients: 1, days: 1 });
    const parent = await addGuardian(ctx, { fullName: 'Farah Khan', phone: '+919844455501' });
    family.guardianId = parent.id;
    family.zoya = (await addPatient(ctx, { fullName: 'Zoya Khan', dateOfBirth: '2017-01-01', withGuardian: { guardianId: parent.id, isPrimary: true } })).id;
    family.kabir = (await addPatient(ctx, { fullName: 'Kabir Khan', dateOfBirth: '2019-01-01', withGuardian: { guardianId: parent.id, isPrimary: true } })).id;
    const add = (docType: 'report' | 'invoice' | 'prescription', name: string, bytes: Buffer, access?: 'family') =>
      addDocument(ctx, { patientId: family.zoya, bytes, originalName: name, docType, ...(access ? { access } : {}) });
    docs.progress = (await add('report', 'progress-november.pdf', progressBytes, 'family')).id;
    docs.invoice = (await add('invoice', 'invoice-RCPT-7.png', png)).id;
    docs.prescription = (await add('prescription', 'prescription.pdf', pdf('clinical'))).id;
  });
  afterAll(async () => {
    await bot?.stop();
    await telegram?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const guardian = () => withActor(ctx, { kind: 'guardian', guardianId: family.guardianId });
  const reads = () =>
    database.db
      .selectFrom('audit_log')
      .select(['actor_kind', 'actor_id', 'entity_id', 'outcome'])
      .where('action', '=', 'document.read')
      .orderBy('id')
      .execute();

  it('a guardian picks the child and gets the shared documents only, each as a file; the opening is audited', async () => {
    await linkedChat(database.db, { channel: 'terminal', chatId: 'farah-en', guardianId: family.guardianId });
    const chat = chatter(engineFor(ctx, { documentStore: store }), 'farah-en');
    await chat.write('menu');
    await chat.press('Documents from the clinic');
    expect(chat.options().map((o) => o.label)).toEqual(['Zoya Khan', 'Kabir Khan']);
    await chat.press('Zoya Khan');
    expect(chat.text()).toContain('Documents the clinic has shared with you:');
    expect(chat.options().map((o) => o.label.split(' · ')[0])).toEqual(['invoice-RCPT-7.png', 'progress-november.pdf']);
    await chat.press('progress-november.pdf');
    const file = chat.replies.find((r) => r.kind === 'file');
    expect(file).toMatchObject({
      kind: 'file',
      name: 'progress-november.pdf',
      mimeType: 'application/pdf',
      caption: 'progress-november.pdf (from the clinic)',
    });
    expect(file && file.kind === 'file' && file.bytes.equals(progressBytes)).toBe(true);
    expect((await reads()).at(-1)).toEqual({ actor_kind: 'guardian', actor_id: family.guardianId, entity_id: String(docs.progress), outcome: 'ok' });

    // The prescription was never offered, and its id answered at the prompt is not among the choices.
    await chat.press('Documents from the clinic');
    await chat.press('Zoya Khan');
    const before = (await reads()).length;
    await chat.pressValue(`doc:${docs.prescription}`);
    expect(chat.replies.some((r) => r.kind === 'file')).toBe(false);
    expect((await reads()).length).toBe(before);

    await chat.write('menu');
    await chat.press('Documents from the clinic');
    await chat.press('Kabir Khan');
    expect(chat.text()).toContain('The clinic has not shared any documents with you yet.');
  });

  it('the domain refuses what the chat never offers: clinical papers (audited), and any other family', async () => {
    await expect(getDocument(guardian(), { documentId: docs.prescription })).rejects.toThrow('may not handle clinical documents (access: therapist)');
    const denied = await database.db
      .selectFrom('audit_log')
      .select(['actor_kind', 'outcome'])
      .where('action', '=', 'document.read')
      .where('entity_id', '=', String(docs.prescription))
      .execute();
    expect(denied).toEqual([{ actor_kind: 'guardian', outcome: 'denied' }]);
    const stranger = await addGuardian(ctx, { fullName: 'Stranger', phone: '+919844455502' });
    const asStranger = withActor(ctx, { kind: 'guardian', guardianId: stranger.id });
    await expect(getDocument(asStranger, { documentId: docs.progress })).rejects.toThrow(`No patient with id ${family.zoya}`);
    await expect(listDocuments(asStranger, { patientId: family.zoya })).rejects.toThrow(`No patient with id ${family.zoya}`);
    const seeded = (await database.db.selectFrom('patients').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const asPatient = withActor(ctx, { kind: 'patient', patientId: seeded });
    await expect(listDocuments(asPatient, { patientId: family.zoya })).rejects.toThrow('No patient with id');
    expect(await listDocuments(asPatient, { patientId: seeded })).toEqual([]);
  });

  it('in Hindi too', async () => {
    await linkedChat(database.db, { channel: 'terminal', chatId: 'farah-hi', guardianId: family.guardianId, language: 'hi' });
    const chat = chatter(engineFor(ctx, { documentStore: store }), 'farah-hi');
    await chat.write('menu');
    await chat.press('क्लिनिक के दस्तावेज़');
    await chat.press('Zoya Khan');
    expect(chat.text()).toContain('क्लिनिक ने आपके साथ ये दस्तावेज़ साझा किए हैं:');
    await chat.press('invoice-RCPT-7.png');
    expect(chat.replies.find((r) => r.kind === 'file')).toMatchObject({ mimeType: 'image/png', caption: 'invoice-RCPT-7.png (क्लिनिक की ओर से)' });
  });

  it('Telegram sends it with sendDocument (the real grammY client, the fake Bot API); WhatsApp as MessageMedia', async () => {
    await linkedChat(database.db, { channel: 'telegram', chatId: '8001', guardianId: family.guardianId });
    bot = createTelegramBot(engineFor(ctx, { documentStore: store }), { token: telegram.token, apiRoot: telegram.apiRoot });
    await bot.init();
    void bot.start({ timeout: 1 });
    const chat = { id: 8001, type: 'private' };
    const from = { id: 8001, is_bot: false, first_name: 'Farah' };
    const press = (data: string, n: number) =>
      telegram.pushUpdate({ callback_query: { id: `cb-${n}`, from, chat_instance: 'c', data, message: { message_id: n, date: 0, chat, text: '' } } });
    telegram.pushUpdate({ message: { message_id: 1, date: 0, chat, from, text: 'menu' } });
    await telegram.waitForCalls('sendMessage', 1);
    press('docs', 2);
    await telegram.waitForCalls('sendMessage', 2);
    press(`patient:${family.zoya}`, 3);
    await telegram.waitForCalls('sendMessage', 3);
    press(`doc:${docs.progress}`, 4);
    const [sent] = await telegram.waitForCalls('sendDocument', 1);
    const attached = String(sent!.params.document).replace('attach://', '');
    expect(sent!.params[attached]).toMatchObject({ file: true, filename: 'progress-november.pdf' });
    expect((sent!.params[attached] as { content: Buffer }).content.equals(progressBytes)).toBe(true);
    expect(sent!.params.caption).toBe('progress-november.pdf (from the clinic)');

    const from2 = '919844455501@c.us';
    await linkedChat(database.db, { channel: 'whatsapp', chatId: from2, guardianId: family.guardianId });
    const client = new EventEmitter() as EventEmitter & { sendMessage: (chatId: string, content: unknown, options?: { caption?: string }) => Promise<unknown> };
    const sentToWhatsApp: Array<{ content: unknown; caption?: string }> = [];
    client.sendMessage = async (_chatId, content, options) => {
      sentToWhatsApp.push({ content, ...(options?.caption ? { caption: options.caption } : {}) });
      return {};
    };
    const adapter = attachWhatsApp(client as never, engineFor(ctx, { documentStore: store }), (file) => ({ media: file }));
    const say = async (body: string) => {
      client.emit('message', { from: from2, body });
      await adapter.idle();
    };
    await say('menu');
    const menu = String(sentToWhatsApp.at(-1)!.content);
    const number = menu
      .split('\n')
      .find((line) => line.includes('Documents from the clinic'))!
      .split('.')[0]!;
    await say(number);
    await say('1'); // Zoya Khan
    await say('2'); // newest first: the invoice, then the progress report
    const media = sentToWhatsApp.find((m) => typeof m.content === 'object' && m.content !== null && 'media' in m.content);
    expect(media?.caption).toBe('progress-november.pdf (from the clinic)');
    const file = (media!.content as { media: { bytes: Buffer; mimeType: string; name: string } }).media;
    expect(file).toMatchObject({ mimeType: 'application/pdf', name: 'progress-november.pdf' });
    expect(file.bytes.equals(progressBytes)).toBe(true);
  });
  it("as the bots' role: a family's session sees what is shared and what it sent, never clinical papers", async () => {
    const app = await openPostgres(database.url, { max: 2, role: SERVICE_ROLE });
    try {
      expect(await currentRole(app.db)).toBe('roshni_service');
      await linkedChat(database.db, { channel: 'terminal', chatId: 'farah-app', guardianId: family.guardianId });
      const engine = engineFor({ ...ctx, db: app.db }, { documentStore: store });
      const sent = await engine.handle({
        channel: 'terminal',
        chatId: 'farah-app',
        input: { kind: 'document', bytes: pdf('school note'), name: 'school.pdf' },
      });
      const whose = sent.flatMap((r) => (r.kind === 'choices' ? r.options : [])).find((o) => o.label === 'Zoya Khan')!;
      await engine.handle({ channel: 'terminal', chatId: 'farah-app', input: { kind: 'choice', value: whose.value } });
      const chat = chatter(engine, 'farah-app');
      await chat.write('menu');
      await chat.press('Documents from the clinic');
      await chat.press('Zoya Khan');
      await chat.press('progress-november.pdf');
      expect(chat.replies.some((r) => r.kind === 'file')).toBe(true);

      const seen = await app.db.transaction().execute(async (trx) => {
        await declareActor(trx, { role: 'guardian', guardianId: family.guardianId });
        return trx.selectFrom('documents').select(['original_name', 'access_level']).orderBy('id').execute();
      });
      expect(seen).toEqual([
        { original_name: 'progress-november.pdf', access_level: 'family' },
        { original_name: 'invoice-RCPT-7.png', access_level: 'patient' },
        { original_name: 'school.pdf', access_level: 'therapist' },
      ]);
      // Staff are believed only through a live session: an admin merely declared sees nothing...
      const claimed = await app.db.transaction().execute(async (trx) => {
        await declareActor(trx, { role: 'admin' });
        return trx.selectFrom('documents').select('original_name').where('patient_id', '=', family.zoya).execute();
      });
      expect(claimed).toEqual([]);
      // ...and a signed-in admin, at a desk computer, sees every document of Zoya's.
      await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
      const token = await sessionFor(database.db, 'anita.admin');
      const desk = await openPostgres(database.url, { max: 1, role: STAFF_ROLE });
      try {
        const staffSees = await desk.db.transaction().execute(async (trx) => {
          await declareActor(trx, { role: 'admin', session: token });
          return trx.selectFrom('documents').select('original_name').where('patient_id', '=', family.zoya).execute();
        });
        expect(staffSees).toHaveLength(4);
      } finally {
        await desk.close();
      }
    } finally {
      await app.close();
    }
  });
});
