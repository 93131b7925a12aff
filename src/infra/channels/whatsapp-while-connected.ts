import type { Channels } from './from-config.js';
import { whatsappChannel, type WhatsAppClientLike } from './whatsapp-sender.js';

/**
 * Adds WhatsApp to the channels, present only while `roshni start` holds a connected session
 * (`current()` gives its client, or nothing while the bot is down or reconnecting). The dispatcher
 * looks a channel up for every message, so while WhatsApp is down it passes over it to the next
 * channel instead of waiting on a dead browser. One channel object keeps its pacing across reconnections.
 */
export function addWhatsAppWhileConnected(channels: Channels, current: () => WhatsAppClientLike | undefined): Channels {
  const channel = whatsappChannel({
    sendMessage: (chatId, content) => {
      const client = current();
      if (!client) return Promise.reject(new Error('WhatsApp is not connected'));
      return client.sendMessage(chatId, content);
    },
  });
  Object.defineProperty(channels, 'whatsapp', { enumerable: true, configurable: true, get: () => (current() ? channel : undefined) });
  return channels;
}
