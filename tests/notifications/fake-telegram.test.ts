import { Api } from 'grammy';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

// The fake Bot API itself, driven by grammY's real client: what the bot and outbox tests stand on.
describe('the fake Telegram Bot API', () => {
  let telegram: FakeTelegram;
  beforeAll(async () => {
    telegram = await startFakeTelegram();
  });
  afterAll(() => telegram?.close());
  beforeEach(() => {
    telegram.calls.length = 0; // each test looks at the calls it made
  });

  it('answers grammY calls and records them', async () => {
    const api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
    expect((await api.getMe()).username).toBe('roshni_clinic_bot');
    await api.sendMessage(42, 'Namaste');
    expect(telegram.callsOf('sendMessage')).toEqual([expect.objectContaining({ params: expect.objectContaining({ chat_id: 42, text: 'Namaste' }) })]);
  });

  it('says 429 with retry_after when told to', async () => {
    const api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
    telegram.failWith429('sendMessage', 1, 1);
    await expect(api.sendMessage(42, 'Again')).rejects.toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    await expect(api.sendMessage(42, 'Again')).resolves.toBeDefined();
  });

  it('feeds queued updates to getUpdates', async () => {
    const api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
    telegram.pushUpdate({ message: { message_id: 1, date: 0, chat: { id: 7, type: 'private' }, text: 'hi' } });
    const updates = await api.getUpdates({ offset: 0, timeout: 1 });
    expect(updates).toHaveLength(1);
    expect(updates[0]!.message?.text).toBe('hi');
  });
});
