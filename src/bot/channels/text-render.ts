import type { Reply } from '../engine/types.js';

/** A reply as plain text with numbered options: how WhatsApp and the terminal show choices. */
export function replyAsText(reply: Reply): string {
  switch (reply.kind) {
    case 'text':
      return reply.text;
    case 'choices':
      return [reply.text, ...reply.options.map((o, i) => `${i + 1}. ${o.label}`)].join('\n');
    case 'contact_request':
      return reply.text;
    case 'image':
      return reply.caption;
    case 'link':
      return `${reply.text}\n${reply.url}`;
    case 'file':
      return reply.caption;
  }
}
