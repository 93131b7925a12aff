import type { MessageAction } from './actions.js';

/**
 * Where the replies a sent message offers are kept for the chat it reached, so that a typed answer
 * ("2" on WhatsApp) means that message's second reply. The domain's port; the bots' conversation
 * store implements it (src/infra/channels/chat-offers.ts).
 */
export interface ChatOffers {
  /** `address` is the one the message was sent to on `channel`. */
  offer(channel: 'telegram' | 'whatsapp', address: string, actions: MessageAction[]): Promise<void>;
}
