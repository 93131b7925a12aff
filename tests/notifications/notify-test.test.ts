import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeFast2Sms, type FakeFast2Sms } from '../support/fake-fast2sms.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';
import { sessionFor } from '../support/staff-sessions.js';

describe('roshni notify test', () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let resend: FakeResend;
  let fast2sms: FakeFast2Sms;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy' }).execute();
    [telegram, resend, fast2sms] = await Promise.all([startFakeTelegram(), startFakeResend(), startFakeFast2Sms('fast2sms-key-0001')]);
    // `roshni notify test` is a staff command: Anita, the admin, signed in.
    await addStaffUser(systemContext(database.db), { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    env = {
      DATABASE_URL: database.url,
      ROSHNI_SESSION: await sessionFor(database.db, 'anita.admin'),
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      RESEND_API_KEY: 're_test_key_0001',
      RESEND_BASE_URL: resend.baseUrl,
      ROSHNI_EMAIL_FROM: 'desk@sunrise.example',
      FAST2SMS_API_KEY: 'fast2sms-key-0001',
      FAST2SMS_BASE_URL: fast2sms.baseUrl,
    };
  });
  afterAll(async () => {
    await Promise.all([telegram?.close(), resend?.close(), fast2sms?.close()]);
    await database?.close();
  });

  it('sends one test message through each configured channel, with the real SDKs', async () => {
    expect((await runCli(['notify', 'test', '--channel', 'telegram', '--to', '4242'], env)).stdout).toContain('Sent a test message by telegram');
    expect(telegram.callsOf('sendMessage')[0]!.params).toMatchObject({ chat_id: '4242' });
    expect((await runCli(['notify', 'test', '--channel', 'email', '--to', 'owner@sunrise.example'], env)).code).toBe(0);
    expect(resend.emails[0]!.body).toMatchObject({ to: 'owner@sunrise.example', from: 'desk@sunrise.example' });
    expect((await runCli(['notify', 'test', '--channel', 'sms', '--to', '+919820012345'], env)).code).toBe(0);
    expect(fast2sms.requests[0]).toMatchObject({ route: 'q', numbers: '9820012345' });
  });

  it('says what a channel needs when it is not configured, and reports a refusal', async () => {
    const whatsapp = await runCli(['notify', 'test', '--channel', 'whatsapp', '--to', '+919820012345'], env);
    expect(whatsapp.code).toBe(6);
    expect(whatsapp.stderr).toContain('only `roshni start` holds');
    fast2sms.failNext(1, 400, 412, 'Invalid Authentication');
    const refused = await runCli(['notify', 'test', '--channel', 'sms', '--to', '+919820012345'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('Not sent: fast2sms: 412.');
  });
});
