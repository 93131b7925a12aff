import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError, type Channel } from '../../src/infra/channels/channel.js';
import { zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { shownAt, type LogLevel } from '../../src/infra/log.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// What the dispatcher says (issue 23: log lines that cry wolf): a message held by quiet hours is
// routine (debug, when it goes), a send that failed is a warning; neither names the person.

const PHONE = '+919812345678';

describe("the dispatcher's log lines", () => {
  let database: TestDatabase;
  const night = fixedClock(zonedInstant('2031-03-10', '22:00', 'Asia/Kolkata'));
  const day = fixedClock(zonedInstant('2031-03-11', '10:00', 'Asia/Kolkata'));

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.insertInto('clinic_settings').values({ name: 'Sunrise Child Therapy', quiet_hours_start: '21:00', quiet_hours_end: '08:00' }).execute();
  });
  afterAll(() => database?.close());

  const due = async (at: Date) => {
    const patient = await database.db.insertInto('patients').values({ full_name: 'Meera Iyer', phone: PHONE }).returning('id').executeTakeFirstOrThrow();
    return database.db
      .insertInto('notifications')
      .values({
        idempotency_key: `log-levels:${patient.id}`,
        kind: 'payment_received',
        patient_id: patient.id,
        payload: JSON.stringify({ amountPaise: 100_000 }),
        due_at: new Date(at.getTime() - 60_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  };
  const dispatch = async (clock: typeof night, sms: Channel) => {
    const lines: Array<{ line: string; level: LogLevel | undefined }> = [];
    await new Dispatcher({
      ctx: systemContext(database.db, clock),
      channels: { sms },
      instanceId: 'logs',
      log: (line, level) => lines.push({ line, level }),
    }).runOnce();
    return lines;
  };

  it('a message held by quiet hours says until when, at debug level, and warns of nothing', async () => {
    const { id } = await due(night.now());
    const sms: Channel = { name: 'sms', send: async () => ({ providerMessageId: 'x' }) };
    const lines = await dispatch(night, sms);
    expect(lines).toEqual([{ line: `dispatcher: notification ${id} held until 08:00 (quiet hours)`, level: 'debug' }]);
    await database.db.deleteFrom('notifications').execute();
  });

  it('a send that failed, and will be tried again, is a warning', async () => {
    const { id } = await due(day.now());
    const sms: Channel = {
      name: 'sms',
      send: async () => {
        throw new ChannelError('sms', true, 'fast2sms: 503');
      },
    };
    const lines = await dispatch(day, sms);
    expect(lines).toEqual([{ line: `dispatcher: notification ${id} will be retried`, level: 'warn' }]);
    expect(JSON.stringify(lines)).not.toContain(PHONE.slice(3));
  });

  it('roshni start writes a held message only at ROSHNI_LOG_LEVEL=debug, and a warning down to warn', () => {
    expect((['debug', 'info', 'warn', 'error', 'silent'] as const).map((threshold) => [shownAt(threshold, 'debug'), shownAt(threshold, 'warn')])).toEqual([
      [true, true],
      [false, true],
      [false, true],
      [false, false],
      [false, false],
    ]);
  });
});
