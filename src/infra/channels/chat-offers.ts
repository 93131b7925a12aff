import { sql, type Kysely } from 'kysely';
import type { ChatOffers } from '../../domain/notifications/chat-offers.js';
import { STATE_VERSION } from '../db/conversation-state-version.js';
import type { DB } from '../db/schema.js';
import { whatsappChatId } from './whatsapp-sender.js';

/** The conversation step that answers offered replies (src/bot/flows/reminder-actions.ts, its step "answer"). */
export const OFFERED_REPLIES_STEP = 'reminder-actions.answer';

/**
 * A message from the outbox offered replies in a chat (a reminder's confirm/cancel/reschedule): they
 * become the conversation's current options. Only an identified chat that is not talking to staff
 * takes them.
 */
export function chatOffersInConversations(db: Kysely<DB>): ChatOffers {
  return {
    async offer(channel, address, actions) {
      const chatId = channel === 'whatsapp' ? whatsappChatId(address) : address;
      const state = { step: OFFERED_REPLIES_STEP, data: {}, options: actions };
      await db
        .updateTable('bot_conversations')
        .set({ state: sql`${JSON.stringify(state)}::jsonb`, state_version: STATE_VERSION })
        .where('channel', '=', channel)
        .where('chat_id', '=', chatId)
        .where('handed_to_staff_at', 'is', null)
        .where((eb) => eb.or([eb('patient_id', 'is not', null), eb('guardian_id', 'is not', null)]))
        .execute();
    },
  };
}
