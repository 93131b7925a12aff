import { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWhatsApp } from '../../src/bot/channels/whatsapp.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import type { EngineDeps } from '../../src/bot/engine/types.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { findJob } from '../../src/jobs/scheduler.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { pdf } from '../documents/sample-files.js';
import { linkedChat, pollingBot, SCRIPTED_CHAT } from './support.js';

// Nothing is downloaded from a chat before the engine decides to take it: not for a chat nobody has
// identified, not over the size limit the channel announces, not beyond a chat's allowance; and a
// document waiting for "whose is it?" is in the database only, for an hour.
describe('files from chats that are never fetched', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let dir: string;
  let store: FileDocumentStore;
  const clock = fixedClock('2026-12-01T02:30:00Z');
  const MiB = 1024 * 1024;

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, clock);
    await seedClinic(ctx, { patients: 1, days: 1 });
    dir = mkdtempSync(join(tmpdir(), 'roshni-unfetched-'));
    store = new FileDocumentStore(dir, MiB);
  });
  afterAll(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function whatsApp(extra: Partial<EngineDeps> = {}) {
    const client = new EventEmitter() as EventEmitter & { sendMessage: (chatId: string, content: unknown) => Promise<unknown> };
    const replies: string[] = [];
    client.sendMessage = async (_chatId, content) => (replies.push(String(content)), {});
    const adapter = attachWhatsApp(
      client as never,
      new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: store, ...SCRIPTED_CHAT, ...extra }),
      () => ({}),
    );
    let downloads = 0;
    const sendFile = async (from: string, size: number) => {
      client.emit('message', {
        from,
        body: '',
        hasMedia: true,
        _data: { size, filename: 'scan.pdf' },
        downloadMedia: async () => (downloads++, { data: pdf('scan').toString('base64'), mimetype: 'application/pdf', filename: 'scan.pdf' }),
      });
      await adapter.idle();
    };
    return { replies, sendFile, downloads: () => downloads };
  }

  it('a WhatsApp sender nobody has identified sends thirty 64 MiB files: none is downloaded', async () => {
    const chat = whatsApp();
    for (let i = 0; i < 30; i++) await chat.sendFile('919811122233@c.us', 64 * MiB);
    expect(chat.downloads()).toBe(0);
    expect(chat.replies.join('\n')).not.toMatch(/received your document/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an identified chat: a file over the limit is refused unfetched, and past its allowance the rest are not fetched', async () => {
    const patient = await addPatient(ctx, { fullName: 'Allowance Check', phone: '+919833311122' });
    const from = '919833311122@c.us';
    await linkedChat(database.db, { channel: 'whatsapp', chatId: from, patientId: patient.id });
    const chat = whatsApp({ documentLimit: { documents: 2, perMs: 60 * 60_000 } });
    await chat.sendFile(from, 64 * MiB);
    expect(chat.downloads()).toBe(0);
    expect(chat.replies.at(-2)).toMatch(/too large \(at most 1\.0 MB\)/);
    await chat.sendFile(from, 1000);
    await chat.sendFile(from, 1000);
    await chat.sendFile(from, 1000);
    expect(chat.downloads()).toBe(2);
    expect(chat.replies.join('\n')).toMatch(/many documents in the last hour/);
  });

  describe('Telegram', () => {
    let telegram: FakeTelegram;
    let bot: Bot;
    beforeAll(async () => {
      telegram = await startFakeTelegram();
      bot = await pollingBot(new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: store }), telegram);
    });
    afterAll(async () => {
      await bot?.stop();
      await telegram?.close();
    });

    it('asks the Bot API for no file of a stranger, nor one over the limit', async () => {
      const stranger = { id: 7301, type: 'private' };
      telegram.addFile('big-1', pdf());
      telegram.pushUpdate({
        message: {
          message_id: 1,
          date: 0,
          chat: stranger,
          from: { id: 7301, is_bot: false, first_name: 'X' },
          document: { file_id: 'big-1', file_unique_id: 'b1', file_name: 'a.pdf', file_size: 80 },
        },
      });
      const toStranger = (await telegram.waitForCalls('sendMessage', 2)).length;
      const patient = await addPatient(ctx, { fullName: 'Telegram Limit', phone: '+919833311133' });
      await linkedChat(database.db, { channel: 'telegram', chatId: '7302', patientId: patient.id });
      telegram.pushUpdate({
        message: {
          message_id: 2,
          date: 0,
          chat: { id: 7302, type: 'private' },
          from: { id: 7302, is_bot: false, first_name: 'Y' },
          document: { file_id: 'big-1', file_unique_id: 'b2', file_name: 'b.pdf', file_size: 5 * MiB },
        },
      });
      await telegram.waitForCalls('sendMessage', toStranger + 2);
      expect(
        telegram
          .callsOf('sendMessage')
          .slice(toStranger)
          .map((c) => String(c.params.text))
          .join('\n'),
      ).toMatch(/too large/);
      expect(telegram.callsOf('getFile')).toEqual([]);
    });
  });

  it('a guardian of two: the document waits in the database, not on disk, and is gone after its hour', async () => {
    const parent = await addGuardian(ctx, { fullName: 'Meher Shah', phone: '+919833344466' });
    for (const name of ['Ira Shah', 'Vir Shah'])
      await addPatient(ctx, { fullName: name, dateOfBirth: '2018-01-01', withGuardian: { guardianId: parent.id, isPrimary: true } });
    await linkedChat(database.db, { channel: 'terminal', chatId: 'two-children', guardianId: parent.id });
    const engine = new ConversationEngine({ db: ctx.db, clock, timezone: ctx.timezone, documentStore: store });
    const send = (input: Parameters<typeof engine.handle>[0]['input']) => engine.handle({ channel: 'terminal', chatId: 'two-children', input });
    const filesBefore = readdirSync(dir, { recursive: true }).length;
    const asked = await send({ kind: 'document', bytes: pdf('school report'), name: 'school.pdf' });
    expect(asked.some((r) => r.kind === 'choices')).toBe(true);
    expect(readdirSync(dir, { recursive: true }).length).toBe(filesBefore);
    expect(await database.db.selectFrom('pending_chat_documents').select('original_name').execute()).toEqual([{ original_name: 'school.pdf' }]);

    clock.advance(61 * 60_000);
    const swept = await findJob('pending-documents')!.run(ctx, {} as never);
    expect(swept).toEqual({ deleted: 1 });
    const late = await send({ kind: 'choice', value: asked.flatMap((r) => (r.kind === 'choices' ? r.options : []))[0]!.value });
    expect(late.map((r) => ('text' in r ? r.text : '')).join('\n')).toMatch(/did not reach us/);
    expect(readdirSync(dir, { recursive: true }).length).toBe(filesBefore);
  });
});
