import { createInterface } from 'node:readline';
import { readableSize } from '../../domain/documents/documents.js';
import { terminalText } from '../../infra/terminal-text.js';
import { terminalQr } from '../../infra/qr.js';
import type { ConversationEngine } from '../engine/engine.js';
import type { Reply } from '../engine/types.js';
import { replyAsText } from './text-render.js';

// `roshni chat`: the same engine in a terminal, so staff and newcomers can try the bot with no token.

export interface TerminalChatOptions {
  engine: ConversationEngine;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  chatId: string;
  /** `--as <phone>`: chat as the person with this number. */
  senderPhone?: string;
}

export async function renderForTerminal(reply: Reply): Promise<string> {
  if (reply.kind === 'image') return `${await terminalQr(reply.encodes)}\n${reply.caption}`;
  if (reply.kind === 'file') return `${reply.caption}\n[${reply.name}, ${readableSize(reply.bytes.length)}: on Telegram and WhatsApp it arrives as a file]`;
  return replyAsText(reply);
}

export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const { engine, output } = options;
  const send = async (text: string) => {
    const replies = await engine.handle({
      channel: 'terminal',
      chatId: options.chatId,
      input: { kind: 'text', text },
      ...(options.senderPhone ? { senderPhone: options.senderPhone } : {}),
    });
    for (const reply of replies) output.write(terminalText(`\n${await renderForTerminal(reply)}\n`));
    output.write('\n> ');
  };
  await send('hi');
  const lines = createInterface({ input: options.input, terminal: false });
  for await (const line of lines) {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') break;
    if (text) await send(text);
  }
}
