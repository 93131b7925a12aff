import { join } from 'node:path';
import { chromiumArgs, chromiumSandbox } from '../../infra/chromium-sandbox.js';
import { ConfigError, type Config } from '../../infra/config.js';
import { terminalQr } from '../../infra/qr.js';
import { ChatQueue } from '../engine/chat-queue.js';
import { ConversationEngine } from '../engine/engine.js';
import type { EngineDeps, Incoming, Reply } from '../engine/types.js';
import { replyAsText } from './text-render.js';

// WhatsApp through whatsapp-web.js: numbered text menus (the engine maps "2" to the second option),
// the sender's number identifies them, MessageMedia carries the UPI QR and shared documents. The
// client is injected, so tests drive this adapter with an object that has whatsapp-web.js Client's
// events and methods.

export interface WhatsAppMessageLike {
  from: string;
  body: string;
  fromMe?: boolean;
  isStatus?: boolean;
  hasMedia?: boolean;
  /** whatsapp-web.js's raw message: a media message's size and a document's file name, before any download. */
  _data?: { size?: number; filename?: string };
  /** whatsapp-web.js's MessageMedia: base64 data, its MIME type and (for documents) a file name. */
  downloadMedia?(): Promise<{ data: string; mimetype: string; filename?: string | null } | undefined>;
}

export interface WhatsAppClientLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatsapp-web.js's own listener type
  on(event: string, listener: (...args: any[]) => void): unknown;
  sendMessage(chatId: string, content: unknown, options?: { caption?: string }): Promise<unknown>;
  initialize(): Promise<void>;
  destroy(): Promise<void>;
  /** WhatsApp's own mapping of a private id ("…@lid") to the phone number ("…@c.us"). */
  getContactLidAndPhone?(userIds: string[]): Promise<Array<{ lid: string; pn: string }>>;
  /** The session's state ('CONNECTED', 'UNPAIRED', …). */
  getState?(): Promise<string | null>;
}

/** whatsapp-web.js's `new MessageMedia(mimetype, base64, filename)`, injected with the client. */
export type MediaFactory = (file: { bytes: Buffer; mimeType: string; name: string }) => unknown;

/** A client not yet initialized and how to wrap a file for it: whatsapp-web.js's (whatsappWebSession), or a test's. */
export interface WhatsAppSession {
  client: WhatsAppClientLike;
  makeMedia: MediaFactory;
}

/** "919876543210@c.us" → "+919876543210"; groups and broadcasts are not patients. */
export function senderPhoneOf(from: string): string | undefined {
  const match = /^(\d{8,15})@c\.us$/.exec(from);
  return match ? `+${match[1]}` : undefined;
}

/**
 * The sender's phone number. WhatsApp increasingly writes a private id ("…@lid") where the number
 * was; WhatsApp itself maps it back. Nobody can type their way in: the number is WhatsApp's word.
 */
async function senderPhone(client: WhatsAppClientLike, from: string): Promise<string | undefined> {
  if (!/^\d+@lid$/.test(from) || !client.getContactLidAndPhone) return senderPhoneOf(from);
  const [mapping] = await client.getContactLidAndPhone([from]);
  return mapping?.pn ? senderPhoneOf(mapping.pn) : undefined;
}

/** Words, or a document or photo as WhatsApp announces it (its caption is not read); fetched only if the engine takes it. */
function incomingOf(message: WhatsAppMessageLike): Incoming | undefined {
  if (message.hasMedia && message.downloadMedia) {
    const { size, filename } = message._data ?? {};
    return {
      kind: 'document',
      ...(filename ? { name: filename } : {}),
      ...(typeof size === 'number' ? { size } : {}),
      download: async () => {
        const media = await message.downloadMedia!();
        if (!media) throw new Error('whatsapp media download: nothing came');
        return { bytes: Buffer.from(media.data, 'base64'), ...(media.filename ? { name: media.filename } : {}) };
      },
    };
  }
  if (typeof message.body !== 'string' || !message.body.trim()) return undefined;
  return { kind: 'text', text: message.body };
}

/** Hands each message to the engine through a ChatQueue (concurrent across chats, in order within one); idle() waits for all. */
export function attachWhatsApp(
  client: WhatsAppClientLike,
  engine: ConversationEngine,
  makeMedia: MediaFactory,
  log?: EngineDeps['log'],
  queue = new ChatQueue(),
) {
  const handle = async (message: WhatsAppMessageLike) => {
    if (message.fromMe || message.isStatus) return;
    const phone = await senderPhone(client, message.from);
    if (!phone) return;
    const input = incomingOf(message);
    if (!input) return;
    const replies = await engine.handle({ channel: 'whatsapp', chatId: message.from, input, senderPhone: phone });
    for (const reply of replies) await send(client, message.from, reply, makeMedia);
  };
  client.on('message', (message: WhatsAppMessageLike) => {
    void queue
      .take(String(message.from), () => handle(message))
      .catch((error: unknown) => log?.('whatsapp.error', { error: error instanceof Error ? error.name : 'unknown' }));
  });
  return { idle: () => queue.idle() };
}

async function send(client: WhatsAppClientLike, chatId: string, reply: Reply, makeMedia: MediaFactory): Promise<void> {
  if (reply.kind === 'image') {
    await client.sendMessage(chatId, makeMedia({ bytes: reply.png, mimeType: 'image/png', name: 'upi-qr.png' }), { caption: reply.caption });
    return;
  }
  if (reply.kind === 'file') {
    await client.sendMessage(chatId, makeMedia({ bytes: reply.bytes, mimeType: reply.mimeType, name: reply.name }), { caption: reply.caption });
    return;
  }
  await client.sendMessage(chatId, replyAsText(reply));
}

/** whatsapp-web.js's client: LocalAuth session under ROSHNI_HOME, QR login in the terminal, Debian's Chromium. */
export async function whatsappWebSession(config: Config, print: (line: string) => void): Promise<WhatsAppSession> {
  // Sandboxed, or refused before the browser is started (chromium-sandbox.ts).
  const sandbox = chromiumSandbox(config);
  if (sandbox.refusal) throw new ConfigError('ROSHNI_WHATSAPP_NO_SANDBOX', `is not set, and ${sandbox.refusal}`);
  const wweb = (await import('whatsapp-web.js')) as unknown as { default?: typeof import('whatsapp-web.js') } & typeof import('whatsapp-web.js');
  const { Client, LocalAuth, MessageMedia } = wweb.default ?? wweb;
  const client = new Client({
    authStrategy: new LocalAuth({ clientId: 'roshni', dataPath: join(config.home, 'whatsapp') }),
    puppeteer: { headless: true, executablePath: config.env.ROSHNI_CHROMIUM_PATH, args: chromiumArgs(sandbox) },
  });
  client.on('qr', async (qr: string) => print(`Scan this with WhatsApp on the clinic's phone (Linked devices):\n${await terminalQr(qr)}`));
  client.on('ready', () => print('WhatsApp bot ready.'));
  client.on('auth_failure', () => print('WhatsApp login failed; delete the session folder and scan again.'));
  return {
    client: client as unknown as WhatsAppClientLike,
    makeMedia: (file) => new MessageMedia(file.mimeType, file.bytes.toString('base64'), file.name),
  };
}

/** Starts the WhatsApp bot in the foreground (`roshni bot whatsapp`). */
export async function startWhatsAppBot(config: Config, deps: EngineDeps, print: (line: string) => void) {
  const { client, makeMedia } = await whatsappWebSession(config, print);
  client.on('disconnected', (reason: string) => deps.log?.('whatsapp.disconnected', { reason }));
  attachWhatsApp(client, new ConversationEngine(deps), makeMedia, deps.log);
  await client.initialize();
  return { client, stop: () => client.destroy() };
}
