import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoClinic } from '../../src/domain/demo/load-demo-clinic.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { findAvailability } from '../../src/domain/scheduling/availability.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { fast2smsChannel } from '../../src/infra/channels/sms-fast2sms.js';
import { resendChannel } from '../../src/infra/channels/email-resend.js';
import { telegramChannel } from '../../src/infra/channels/telegram.js';
import { fixedClock } from '../../src/infra/clock.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeFast2Sms, type FakeFast2Sms } from '../support/fake-fast2sms.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js';

const SMS_KEY = 'fast2sms-test-key-000';

// `roshni demo` makes up families with real-looking phone numbers. A newcomer who has configured
// SMS, email or WhatsApp and then runs `roshni start` must not message whoever owns those numbers.
describe("the demo clinic's made-up people", () => {
  let database: TestDatabase;
  let telegram: FakeTelegram;
  let fast2sms: FakeFast2Sms;
  let resend: FakeResend;

  beforeAll(async () => {
    database = await createTestDatabase();
    telegram = await startFakeTelegram();
    fast2sms = await startFakeFast2Sms(SMS_KEY);
    resend = await startFakeResend();
  });
  afterAll(async () => {
    await telegram?.close();
    await fast2sms?.close();
    await resend?.close();
    await database?.close();
  });

  it('are sent nothing on their stored phone or email; a chat someone linked to the bot still hears', async () => {
    // A Wednesday, 10:00 at the clinic: the demo's days and the booking below are the same whenever this runs.
    const clock = fixedClock('2026-12-09T04:30:00Z');
    const ctx = systemContext(database.db, clock);
    await loadDemoClinic(ctx);
    // No quiet hours, so nothing waits for the morning.
    await database.db.updateTable('clinic_settings').set({ quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).execute();
    // The demo mother's own Telegram, linked through the bot; and a real patient booked at the desk.
    await database.db.updateTable('guardians').set({ telegram_chat_id: '7001' }).where('full_name', '=', 'Neha Gupta').execute();
    const real = await addPatient(ctx, { fullName: 'Kabir Sen', phone: '+91 98450 00001', email: 'kabir@example.in' });
    const service = await database.db.selectFrom('services').select('id').where('code', '=', 'speech-therapy').executeTakeFirstOrThrow();
    const priya = await database.db.selectFrom('therapists').select('id').where('full_name', '=', 'Dr. Priya Sharma').executeTakeFirstOrThrow();
    const free = await findAvailability(ctx, { serviceId: service.id, therapistId: priya.id, patientId: real.id, from: '2026-12-11', to: '2026-12-18' });
    await bookAppointment(ctx, { patientId: real.id, serviceId: service.id, slotId: free[0]!.slotId });

    const dispatcher = new Dispatcher({
      ctx: { ...ctx, clock: fixedClock(new Date(clock.now().getTime() + 3_600_000)) }, // past every grace period
      channels: {
        telegram: telegramChannel({ token: telegram.token, apiRoot: telegram.apiRoot, perChatIntervalMs: 0 }),
        sms: fast2smsChannel({ apiKey: SMS_KEY, baseUrl: fast2sms.baseUrl }),
        email: resendChannel({ apiKey: 're_test_key_000', from: 'desk@roshni-demo.example', baseUrl: resend.baseUrl }),
      },
      instanceId: 'sample-test',
    });
    while ((await dispatcher.runOnce()) > 0);

    const outbox = await database.db.selectFrom('notifications').select(['patient_id', 'state', 'channel', 'last_error']).orderBy('id').execute();
    const samples = outbox.filter((n) => n.patient_id !== real.id);
    expect(samples.length).toBeGreaterThan(3);
    expect(samples.filter((n) => n.state === 'sent').every((n) => n.channel === 'telegram')).toBe(true);
    expect(samples.filter((n) => n.state === 'sent').length).toBeGreaterThan(0); // Aarav's and Diya's, to their mother
    expect(samples.filter((n) => n.state !== 'sent')).toEqual(
      samples
        .filter((n) => n.state !== 'sent')
        .map((n) => ({ ...n, state: 'skipped', last_error: 'a sample person (roshni demo): sent only to a chat linked to the bot' })),
    );
    expect(new Set(telegram.callsOf('sendMessage').map((c) => String(c.params.chat_id)))).toEqual(new Set(['7001']));

    // The one real patient is reached by SMS as usual, and only they are.
    expect(outbox.filter((n) => n.patient_id === real.id).map((n) => [n.state, n.channel])).toEqual([['sent', 'sms']]);
    expect(fast2sms.requests).toHaveLength(1);
    expect(JSON.stringify(fast2sms.requests[0])).toContain('9845000001');
    expect(resend.emails).toEqual([]);
  });
});
