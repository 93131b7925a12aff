import { expect } from 'vitest';
import { replyAsText } from '../../src/bot/channels/text-render.js';
import type { Bot } from 'grammy';
import { createTelegramBot } from '../../src/bot/channels/telegram.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import type { FakeTelegram } from '../support/fake-telegram.js';
import type { EngineDeps, Reply, Update } from '../../src/bot/engine/types.js';
import type { Kysely } from 'kysely';
import type { DomainContext } from '../../src/domain/context.js';
import { STATE_VERSION } from '../../src/domain/messaging/conversations.js';
import type { DB } from '../../src/infra/db/schema.js';

/**
 * A scripted chat on a clock that stands still sends every message at one instant: a flood by the
 * bot's measure. Scenarios about something else lift the limit; flood tests pass CHAT_FLOOD_LIMIT.
 */
export const SCRIPTED_CHAT: Pick<EngineDeps, 'rateLimit'> = { rateLimit: { burst: 1000, perSecond: 1 } };

export function engineFor(ctx: DomainContext, extra: Partial<EngineDeps> = {}) {
  return new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone, ...SCRIPTED_CHAT, ...extra });
}

/** The real grammY bot over `engine`, long-polling the fake Bot API (stop it with `bot.stop()`). */
export async function pollingBot(engine: ConversationEngine, telegram: FakeTelegram): Promise<Bot> {
  const bot = createTelegramBot(engine, { token: telegram.token, apiRoot: telegram.apiRoot });
  await bot.init();
  void bot.start({ timeout: 1 });
  return bot;
}

/** A person chatting on one chat: writes, presses options by (part of) their label, and sees replies. */
export function chatter(engine: ConversationEngine, chatId: string, options: { channel?: Update['channel']; senderPhone?: string } = {}) {
  let last: Reply[] = [];
  const send = async (input: Update['input']) => {
    last = await engine.handle({ channel: options.channel ?? 'terminal', chatId, input, ...(options.senderPhone ? { senderPhone: options.senderPhone } : {}) });
    return last;
  };
  const lastChoices = () => [...last].reverse().find((r): r is Extract<Reply, { kind: 'choices' }> => r.kind === 'choices');
  return {
    get replies() {
      return last;
    },
    text: () => last.map(replyAsText).join('\n'),
    options: () => lastChoices()?.options ?? [],
    write: (text: string) => send({ kind: 'text', text }),
    pressValue: (value: string) => send({ kind: 'choice', value }),
    async press(label: string | RegExp | number) {
      const options = lastChoices()?.options ?? [];
      const option =
        typeof label === 'number' ? options[label] : options.find((o) => (typeof label === 'string' ? o.label.includes(label) : label.test(o.label)));
      expect(option, `option ${String(label)} among ${options.map((o) => o.label).join(' | ')}`).toBeDefined();
      return send({ kind: 'choice', value: option!.value });
    },
    switchEngine(next: ConversationEngine) {
      engine = next;
    },
  };
}

type Chat = ReturnType<typeof chatter>;

/** From the menu: books `service` with anyone at the soonest day's first time, up to "Booked!". */
export async function bookSoonest(chat: Chat, service = 'Speech therapy'): Promise<void> {
  await chat.press('Book an appointment');
  await chat.press(service);
  await chat.press('Anyone');
  await chat.press(0);
  await chat.press(0);
  await chat.press('Yes, book it');
}

/** A chat already linked to a patient or a guardian, waiting at the menu (as after identification). */
export async function linkedChat(
  db: Kysely<DB>,
  chat: { channel: Update['channel']; chatId: string; language?: 'en' | 'hi' } & ({ patientId: number } | { guardianId: number }),
): Promise<void> {
  await db
    .insertInto('bot_conversations')
    .values({
      channel: chat.channel,
      chat_id: chat.chatId,
      ...('patientId' in chat ? { patient_id: chat.patientId } : { guardian_id: chat.guardianId }),
      language: chat.language ?? 'en',
      state: JSON.stringify({ step: 'menu.choose', data: {}, options: [] }),
      state_version: STATE_VERSION,
    })
    .execute();
}
