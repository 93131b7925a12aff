import { Bot, InputFile, type Api, type Context } from 'grammy';
import type { InlineKeyboardButton, Update } from 'grammy/types';
import { FILE_TRANSFER_TIMEOUT_MS, OUTBOUND_TIMEOUT_MS, outboundDeadline } from '../../infra/outbound.js';
import { ChatQueue } from '../engine/chat-queue.js';
import { ConversationEngine } from '../engine/engine.js';
import type { EngineDeps, Incoming, IncomingDocument, Reply } from '../engine/types.js';

// Telegram through grammY: inline keyboards for choices (callback queries always answered), a
// contact button to identify, sendPhoto for the UPI QR. Long polling by default; webhook mode
// behind `roshni serve`/`start`. Telegram's errors (GrammyError/HttpError) stay Telegram's: logged, not shown.

/** The updates the bot asks Telegram for, by long polling or webhook. */
export const TELEGRAM_UPDATES = ['message', 'callback_query'] as const;

/** Whose turn an update takes: its chat (a button's message's chat, else the sender). */
export function telegramChatOf(update: Update): string {
  const chat = update.message?.chat.id ?? update.callback_query?.message?.chat.id ?? update.callback_query?.from.id;
  return chat === undefined ? `update:${update.update_id}` : String(chat);
}

/**
 * Told when an update's turn is committed (ConversationEngine's `committed`): long polling counts
 * it as handled from then on (telegram-polling.ts), keyed by the update object grammY hands the bot.
 */
export const whenTelegramUpdateCommitted = new WeakMap<object, () => void>();

/**
 * The signal a part aborts when its stop cuts the bot's calls (telegram-calls.ts, keyed by the bot): a
 * file download, which is no Bot API call, is cut with them, so that a stop ends within its budget.
 */
export const whenTelegramCallsCut = new WeakMap<object, () => AbortSignal>();

export interface TelegramConfig {
  token: string;
  /** A different Bot API server (tests use a fake one on 127.0.0.1). */
  apiRoot?: string;
}

export async function sendReplies(api: Api, chatId: number, replies: Reply[]): Promise<void> {
  for (const reply of replies) {
    switch (reply.kind) {
      case 'text':
        await api.sendMessage(chatId, reply.text);
        break;
      case 'choices': {
        const rows: InlineKeyboardButton[][] = reply.options.map((o) => [{ text: o.label.slice(0, 64), callback_data: o.value }]);
        await api.sendMessage(chatId, reply.text, { reply_markup: { inline_keyboard: rows } });
        break;
      }
      case 'contact_request':
        await api.sendMessage(chatId, reply.text, {
          reply_markup: { keyboard: [[{ text: reply.button, request_contact: true }]], one_time_keyboard: true, resize_keyboard: true },
        });
        break;
      case 'image':
        await api.sendPhoto(chatId, new InputFile(reply.png, 'upi-qr.png'), { caption: reply.caption });
        break;
      case 'file':
        await api.sendDocument(chatId, new InputFile(reply.bytes, reply.name), { caption: reply.caption });
        break;
      case 'link':
        // Telegram buttons take http(s) links only; a upi:// link goes in the text.
        if (/^https?:\/\//.test(reply.url)) {
          await api.sendMessage(chatId, reply.text, { reply_markup: { inline_keyboard: [[{ text: reply.label, url: reply.url }]] } });
        } else {
          await api.sendMessage(chatId, `${reply.text}\n${reply.url}`);
        }
        break;
    }
  }
}

function incomingOf(ctx: Context): Incoming | undefined {
  const message = ctx.message;
  if (message?.contact) {
    // Only the sender's own contact identifies them: the "share my number" button always carries their
    // user id. A card from the address book has another user's id, or none when the number is not on
    // Telegram; either would let anyone claim any phone number.
    if (message.contact.user_id === undefined || message.contact.user_id !== ctx.from?.id) return { kind: 'text', text: '' };
    return { kind: 'contact', phone: message.contact.phone_number };
  }
  if (typeof message?.text === 'string') return { kind: 'text', text: message.text };
  return undefined;
}

/** The Bot API lets bots download files up to 20 MB. */
const BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/**
 * A document or photo sent to the bot, as Telegram announces it (its size comes with the message); the
 * engine fetches it through the Bot API's file endpoint only if it takes it.
 */
function documentOf(ctx: Context, config: TelegramConfig, bot: Bot): IncomingDocument | undefined {
  const message = ctx.message;
  const largestPhoto = message?.photo?.at(-1);
  const sent = message?.document ?? largestPhoto;
  if (!sent) return undefined;
  const name = message?.document?.file_name;
  return {
    kind: 'document',
    ...(name ? { name } : {}),
    ...(sent.file_size !== undefined ? { size: sent.file_size } : {}),
    tooLarge: (sent.file_size ?? 0) > BOT_API_DOWNLOAD_LIMIT,
    download: async () => {
      const file = await ctx.api.getFile(sent.file_id);
      if (!file.file_path) throw new Error('telegram file download: no file path');
      const response = await fetch(`${config.apiRoot ?? 'https://api.telegram.org'}/file/bot${config.token}/${file.file_path}`, {
        signal: outboundDeadline(FILE_TRANSFER_TIMEOUT_MS, whenTelegramCallsCut.get(bot)?.()),
      });
      if (!response.ok) throw new Error(`telegram file download: ${response.status}`);
      return { bytes: new Uint8Array(await response.arrayBuffer()) };
    },
  };
}

export function createTelegramBot(engine: ConversationEngine, config: TelegramConfig, log?: EngineDeps['log']): Bot {
  const bot = new Bot(config.token, config.apiRoot ? { client: { apiRoot: config.apiRoot } } : {});
  // Every call but the long poll (which waits on purpose, bounded by its own part) gives up after the
  // outbound deadline: a hung reply must not hold the chat's turn for grammY's default 500 s.
  bot.api.config.use((call, method, payload, signal) => {
    if (method === 'getUpdates') return call(method, payload, signal);
    const timeoutMs = method === 'sendDocument' || method === 'sendPhoto' ? FILE_TRANSFER_TIMEOUT_MS : OUTBOUND_TIMEOUT_MS;
    return call(method, payload, outboundDeadline(timeoutMs, signal as AbortSignal | undefined) as typeof signal);
  });
  bot.on('callback_query:data', async (ctx) => {
    await ctx.answerCallbackQuery();
    const chatId = ctx.chat?.id ?? ctx.from.id;
    const replies = await engine.handle({
      channel: 'telegram',
      chatId: String(chatId),
      input: { kind: 'choice', value: ctx.callbackQuery.data },
      committed: () => whenTelegramUpdateCommitted.get(ctx.update)?.(),
    });
    await sendReplies(ctx.api, chatId, replies);
  });
  bot.on('message', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const input = incomingOf(ctx) ?? documentOf(ctx, config, bot);
    if (!input) return;
    const replies = await engine.handle({
      channel: 'telegram',
      chatId: String(ctx.chat.id),
      input,
      committed: () => whenTelegramUpdateCommitted.get(ctx.update)?.(),
    });
    await sendReplies(ctx.api, ctx.chat.id, replies);
  });
  bot.catch((error) => log?.('telegram.error', { error: error.error instanceof Error ? error.error.name : 'unknown' }));
  return bot;
}

export interface RunningBot {
  stop(): Promise<void>;
}

/**
 * Starts the Telegram bot with long polling in the foreground (`roshni bot telegram`): the same part
 * as inside `roshni start`, kept going by a part supervisor of its own.
 */
export async function startTelegramBot(config: TelegramConfig, deps: EngineDeps): Promise<RunningBot> {
  const [{ telegramPollingPart }, { PartSupervisor }] = await Promise.all([import('./telegram-polling.js'), import('../../infra/part-supervisor.js')]);
  const supervisor = new PartSupervisor({ clock: deps.clock, given: {}, log: (line) => deps.log?.('telegram.part', { state: line }) });
  supervisor.add(
    telegramPollingPart(
      async () => createTelegramBot(new ConversationEngine(deps), config, deps.log),
      () => deps,
    ),
  );
  return { stop: () => supervisor.stop() };
}

/**
 * The webhook mode (`roshni serve` with TELEGRAM_WEBHOOK_URL): tells Telegram where to post updates
 * and with which secret token, and hands each update to the same bot as long polling, through a
 * ChatQueue (concurrent across chats, in order within one).
 */
export async function startTelegramWebhook(
  config: TelegramConfig & { url: string; secret: string },
  deps: EngineDeps,
): Promise<{ secret: string; handleUpdate(update: { update_id: number }): Promise<void> }> {
  const bot = createTelegramBot(new ConversationEngine(deps), config, deps.log);
  await bot.init();
  await bot.api.setWebhook(config.url, { secret_token: config.secret, allowed_updates: [...TELEGRAM_UPDATES] });
  const queue = new ChatQueue();
  return { secret: config.secret, handleUpdate: (update) => queue.take(telegramChatOf(update as Update), () => bot.handleUpdate(update as Update)) };
}
