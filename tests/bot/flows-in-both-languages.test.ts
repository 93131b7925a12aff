import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replyAsText } from '../../src/bot/channels/text-render.js';
import type { Reply } from '../../src/bot/engine/types.js';
import type { PaymentGateway } from '../../src/domain/billing/payment-gateway.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor, linkedChat } from './support.js';

// Every flow a guardian of two children can take, in English and in Hindi, with the dead ends:
// unknown input at each step (the same options again, in the chat's language), no availability,
// payment declined, nothing due. Options are pressed by their values, so the same walk serves both
// languages; each reply is checked to be in the chat's language.

const DEVANAGARI = /[\u0900-\u097F]/;

for (const language of ['en', 'hi'] as const) {
  describe(`every flow, in ${language === 'en' ? 'English' : 'Hindi'}`, () => {
    // Each test opens a clinic of its own, where Kavita's chat waits at the menu.
    let database: TestDatabase;
    let ctx: ReturnType<typeof systemContext>;
    let clinic: Awaited<ReturnType<typeof seedClinic>>;
    let children: Array<{ id: number }>;
    const clock = fixedClock('2026-12-01T02:30:00Z');
    const chatId = `both-${language}`;

    beforeEach(async () => {
      database = await createTestDatabase();
      ctx = systemContext(database.db, clock);
      clinic = await seedClinic(ctx, { patients: 1, days: 5 });
      const parent = await addGuardian(ctx, { fullName: 'Kavita Nair', phone: '+919833300001', language });
      children = [
        await addPatient(ctx, { fullName: 'Diya Nair', dateOfBirth: '2018-06-01', withGuardian: { guardianId: parent.id, isPrimary: true } }),
        await addPatient(ctx, { fullName: 'Arjun Nair', dateOfBirth: '2020-06-01', withGuardian: { guardianId: parent.id, isPrimary: true } }),
      ];
      await linkedChat(database.db, { channel: 'terminal', chatId, guardianId: parent.id, language });
    });
    afterEach(() => database?.close());

    /** Kavita's second child has speech therapy booked for tomorrow morning, not paid yet. */
    async function secondChildBooked() {
      const [slot] = await slotsOn(ctx, clinic.speech.id, '2026-12-02');
      await bookAppointment(ctx, { patientId: children[1]!.id, serviceId: clinic.speechService.id, slotId: slot!.id });
    }

    /** Each reply in the chat's language: Hindi has Devanagari in every message, English none outside names of languages. */
    function expectLanguage(replies: Reply[]) {
      for (const reply of replies) {
        const text =
          reply.kind === 'choices' || reply.kind === 'contact_request' || reply.kind === 'text' || reply.kind === 'link' ? reply.text : reply.caption;
        if (language === 'hi') expect(text, replyAsText(reply)).toMatch(DEVANAGARI);
        else expect(text.replace('Language / भाषा', ''), replyAsText(reply)).not.toMatch(DEVANAGARI);
      }
    }

    function walker(extra: Parameters<typeof engineFor>[1] = {}) {
      const chat = chatter(engineFor(ctx, extra), chatId);
      const choose = async (match: (value: string) => boolean) => {
        const option = chat.options().find((o) => match(o.value));
        expect(
          option,
          `an option among ${chat
            .options()
            .map((o) => o.value)
            .join(', ')}`,
        ).toBeDefined();
        await chat.pressValue(option!.value);
        expectLanguage(chat.replies);
        return chat;
      };
      /** Unknown input at this step: the same options are offered again, in the chat's language. */
      const nonsense = async (words = 'banana') => {
        const before = chat.options().map((o) => o.value);
        await chat.write(words);
        expectLanguage(chat.replies);
        expect(chat.options().map((o) => o.value)).toEqual(before);
      };
      return { chat, choose, nonsense, is: (value: string) => (v: string) => v === value, starts: (prefix: string) => (v: string) => v.startsWith(prefix) };
    }

    it('book for the second child, with unknown input at every step, then pay at the clinic', async () => {
      const { chat, choose, nonsense, is, starts } = walker();
      await chat.write('menu');
      expectLanguage(chat.replies);
      await nonsense();
      await choose(is('book'));
      await nonsense(); // which child
      await choose(is(`patient:${children[1]!.id}`));
      await nonsense(); // service
      await choose(is(`service:${clinic.speechService.id}`));
      await nonsense(); // therapist
      await choose(is('therapist:any'));
      await nonsense(); // day
      await choose(starts('day:'));
      await nonsense('25:99'); // time
      await choose(starts('slot:'));
      await nonsense('maybe'); // confirm
      await choose(is('yes'));
      expect(chat.text()).toMatch(/APT-\d+/);
      await nonsense(); // pay now or at the clinic
      await choose(is('clinic'));
      const booked = await database.db.selectFrom('appointments').select(['patient_id', 'booked_via']).execute();
      expect(booked).toEqual([{ patient_id: children[1]!.id, booked_via: 'terminal_chat' }]);
    });

    it('no availability: offered the waitlist, and joining it', async () => {
      await database.db
        .updateTable('appointment_slots')
        .set({ status: 'blocked', blocked_reason: 'physio away' })
        .where('therapist_id', '=', clinic.physio.id)
        .execute();
      const { chat, choose, nonsense, is } = walker();
      await chat.write('menu');
      await choose(is('book'));
      await choose(is(`patient:${children[0]!.id}`));
      await choose(is(`service:${clinic.physioService.id}`));
      expect(chat.options().map((o) => o.value)).toEqual(['waitlist', 'menu']);
      await nonsense();
      await choose(is('waitlist'));
      const entries = await database.db.selectFrom('waitlist_entries').select(['patient_id', 'service_id']).execute();
      expect(entries).toEqual([{ patient_id: children[0]!.id, service_id: clinic.physioService.id }]);
    });

    it('my appointments: unknown input, an action, and keeping the appointment after all', async () => {
      await secondChildBooked();
      const { chat, choose, nonsense, is, starts } = walker();
      await chat.write('menu');
      await choose(is('mine'));
      await nonsense('zzz');
      await choose(starts('appt:'));
      await nonsense();
      await choose(is('cancel'));
      await nonsense('perhaps');
      await choose(is('no'));
      const live = await database.db.selectFrom('appointments').select('status').execute();
      expect(live.map((a) => a.status)).toEqual(['scheduled']);
    });

    it('pay dues: the UPI QR; with Razorpay refusing, a kind word and nothing pending', async () => {
      await secondChildBooked();
      const { chat, choose, nonsense, is, starts } = walker();
      await chat.write('menu');
      await choose(is('pay'));
      await nonsense();
      await choose(starts('appt:'));
      expect(chat.replies.some((r) => r.kind === 'image')).toBe(true);

      const refusing: PaymentGateway = {
        createOrder: async () => Promise.reject(new Error('BAD_GATEWAY')),
        createPaymentLink: async () => Promise.reject(new Error('BAD_GATEWAY')),
        refund: async () => Promise.reject(new Error('BAD_GATEWAY')),
      } as unknown as PaymentGateway;
      const declined = walker({ paymentGateway: refusing });
      await declined.chat.write('menu');
      await declined.choose(is('pay'));
      await declined.choose(starts('appt:'));
      expect(declined.chat.replies.some((r) => r.kind === 'link')).toBe(false);
      const razorpay = await database.db.selectFrom('payments').select('state').where('method', '=', 'razorpay').execute();
      expect(razorpay.every((p) => p.state === 'cancelled')).toBe(true);
    });

    it('nothing due, talk to the clinic, stop and start, and the language menu', async () => {
      await secondChildBooked();
      await database.db.updateTable('appointments').set({ payment_status: 'waived', waived_reason: 'test' }).execute();
      const { chat, choose, is } = walker();
      await chat.write('menu');
      await choose(is('pay'));
      await choose(is('talk'));
      await chat.write('Can Arjun come 15 minutes late?');
      expectLanguage(chat.replies);
      const inbox = await database.db.selectFrom('inbox_messages').select(['direction', 'body']).execute();
      expect(inbox).toEqual([expect.objectContaining({ body: 'Can Arjun come 15 minutes late?' })]);
      await chat.write('menu');
      expectLanguage(chat.replies);
      await chat.write('stop');
      expectLanguage(chat.replies);
      expect((await database.db.selectFrom('guardians').select('reminders_opted_out_at').executeTakeFirstOrThrow()).reminders_opted_out_at).not.toBeNull();
      await chat.write('start');
      expectLanguage(chat.replies);
      expect((await database.db.selectFrom('guardians').select('reminders_opted_out_at').executeTakeFirstOrThrow()).reminders_opted_out_at).toBeNull();
      await choose(is('language'));
      expect(chat.options().map((o) => o.label)).toEqual(['English', 'हिन्दी']);
    });
  });
}
