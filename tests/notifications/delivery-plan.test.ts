import { describe, expect, it } from 'vitest';
import { decideDelivery, type DeliveryDecision, type DeliveryFacts, type DeliverySettings } from '../../src/domain/notifications/delivery-plan.js';
import type { ContactChannel } from '../../src/infra/db/schema.js';

// The delivery plan on its own: every reason a claimed message is sent, held, skipped or given up
// on, at pinned instants in the clinic's time zone (quiet hours 21:00–08:00 IST, +05:30).

const ist = (local: string) => new Date(`${local}+05:30`);
const settings: DeliverySettings = {
  clinicName: 'Sunrise Child Therapy',
  clinicPhone: null,
  timezone: 'Asia/Kolkata',
  quiet: { start: '21:00:00', end: '08:00:00' },
};
const ALL: ReadonlySet<ContactChannel> = new Set(['whatsapp', 'telegram', 'sms', 'email']);

const facts = (over: Partial<DeliveryFacts> = {}): DeliveryFacts => ({
  id: 1,
  kind: 'booking_confirmed',
  language: 'en',
  payload: {},
  appointment_id: null,
  guardian_id: null,
  preferred_channel: null,
  phone: '+919800000001',
  email: null,
  telegram_chat_id: null,
  whatsapp_id: null,
  sample: false,
  opted_out: false,
  appointment_live: null,
  appointment_starts_at: null,
  appointment_reschedule: null,
  ...over,
});
const reminder = (startsAt: string, over: Partial<DeliveryFacts> = {}) =>
  facts({ kind: 'reminder', appointment_id: 7, appointment_live: true, appointment_starts_at: ist(startsAt), ...over });

const sms: DeliveryDecision = {
  action: 'send',
  routes: [
    { channel: 'whatsapp', address: '+919800000001' },
    { channel: 'sms', address: '+919800000001' },
  ],
};
const held = (until: string, clock: string): DeliveryDecision => ({ action: 'defer', reason: 'quiet_hours', until: ist(until), untilClinicTime: clock });

describe('the delivery plan', () => {
  const cases: Array<[string, DeliveryFacts, string, DeliveryDecision, ReadonlySet<ContactChannel>?]> = [
    // Skipped reminders, in the order they are checked.
    [
      'a reminder to someone who opted out',
      reminder('2028-03-01T10:00', { opted_out: true, appointment_live: false }),
      '2028-02-29T10:00',
      { action: 'skip', reason: 'opted_out', note: 'opted out of reminders' },
    ],
    ['a confirmation to someone who opted out of reminders still goes', facts({ opted_out: true }), '2028-02-29T10:00', sms],
    [
      'a reminder for an appointment no longer upcoming',
      reminder('2028-03-01T10:00', { appointment_live: false }),
      '2028-02-29T10:00',
      { action: 'skip', reason: 'not_upcoming', note: 'appointment no longer upcoming' },
    ],
    [
      'a reminder for an appointment a day off fell on',
      reminder('2028-03-01T10:00', { appointment_reschedule: 'therapist_leave' }),
      '2028-02-29T10:00',
      { action: 'skip', reason: 'needs_reschedule', note: 'therapist on leave: to reschedule' },
    ],
    // Quiet hours' edges.
    ['a minute before quiet hours', facts(), '2028-02-29T20:59', sms],
    ['quiet hours begin: held till 08:00 the next day', facts(), '2028-02-29T21:00', held('2028-03-01T08:00', '08:00')],
    ['a minute before they end', facts(), '2028-03-01T07:59', held('2028-03-01T08:00', '08:00')],
    ['they end', facts(), '2028-03-01T08:00', sms],
    // 00:10 IST on a leap day is still 28 Feb in UTC: held till 08:00 of the clinic's own day.
    ['just after midnight, the UTC date a day behind', facts(), '2028-02-29T00:10', held('2028-02-29T08:00', '08:00')],
    ["late on New Year's Eve: held into the next year", facts(), '2028-12-31T23:50', held('2029-01-01T08:00', '08:00')],
    // The hour before the session.
    [
      'a reminder that would reach 08:00 exactly an hour before its session',
      reminder('2029-01-01T09:00'),
      '2028-12-31T23:50',
      held('2029-01-01T08:00', '08:00'),
    ],
    [
      'a reminder that would come less than an hour before',
      reminder('2029-01-01T08:59'),
      '2028-12-31T23:50',
      { action: 'skip', reason: 'too_late', note: 'quiet hours: no useful time left before the appointment' },
    ],
    ['urgent kinds are not held: a staff reply', facts({ kind: 'staff_reply' }), '2028-12-31T23:50', sms],
    ['nor an alert to the admins', facts({ kind: 'admin_alert' }), '2028-12-31T23:50', sms],
    // Whom it reaches, and how.
    [
      'a sample person with only a stored phone',
      facts({ sample: true, phone: null }),
      '2028-02-29T10:00',
      { action: 'skip', reason: 'sample_person', note: 'a sample person (roshni demo): sent only to a chat linked to the bot' },
    ],
    [
      'a sample person with a linked chat',
      facts({ sample: true, phone: null, telegram_chat_id: '42' }),
      '2028-02-29T10:00',
      { action: 'send', routes: [{ channel: 'telegram', address: '42' }] },
    ],
    [
      'nobody reachable on a channel this process sends on',
      facts({ email: 'a@example.in' }),
      '2028-02-29T10:00',
      { action: 'fail', reason: 'unreachable', note: 'no channel reaches this recipient' },
      new Set(['telegram']),
    ],
    [
      'the preference first, then WhatsApp, Telegram, SMS, email',
      facts({ preferred_channel: 'email', email: 'a@example.in', telegram_chat_id: '42', whatsapp_id: '919800000002@c.us' }),
      '2028-02-29T10:00',
      {
        action: 'send',
        routes: [
          { channel: 'email', address: 'a@example.in' },
          { channel: 'whatsapp', address: '919800000002@c.us' },
          { channel: 'telegram', address: '42' },
          { channel: 'sms', address: '+919800000001' },
        ],
      },
    ],
  ];

  it.each(cases)('%s', (_name, given, at, expected, sendable = ALL) => {
    expect(decideDelivery(given, settings, ist(at), sendable)).toEqual(expected);
  });

  it('without quiet hours configured, nothing is held', () => {
    expect(decideDelivery(facts(), { ...settings, quiet: null }, ist('2028-12-31T23:50'), ALL)).toEqual(sms);
  });
});
