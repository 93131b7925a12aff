import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { STATE_VERSION } from '../../infra/db/conversation-state-version.js';
import type { DB } from '../../infra/db/schema.js';

// The bots' conversations as stored: who each chat is, its language, and where it stands in a flow.
// The engine (src/bot/engine) loads one per update and saves it back; the outbox's chat offers
// (src/infra/channels/chat-offers.ts) put a reminder's actions in a chat.

export type ChatChannel = 'telegram' | 'whatsapp' | 'terminal';
export type Language = 'en' | 'hi';

/** Where the conversation stands: its step, what the flow collected, and the options last offered. */
export interface ConversationState {
  step: string;
  data: Record<string, unknown>;
  /** The options last offered, so "2" typed on WhatsApp means the second one, and stale buttons are refused. */
  options: Array<{ value: string; label: string }>;
}

/** The stored conversation: who the chat is, its language, and where it stands. */
export interface Conversation {
  id: number;
  channel: ChatChannel;
  chatId: string;
  patientId: number | null;
  guardianId: number | null;
  language: Language;
  handedToStaffAt: Date | null;
  state: ConversationState;
}

export { STATE_VERSION };

export const initialState = (): ConversationState => ({ step: 'start', data: {}, options: [] });

const storedState = z.object({
  step: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
  options: z.array(z.object({ value: z.string().max(64), label: z.string() })).max(50),
});

/**
 * The chat's conversation, created on first contact and locked for this update: two bot processes
 * serving the same chat take turns, and each sees what the other saved.
 */
export async function loadConversation(db: Kysely<DB>, channel: ChatChannel, chatId: string): Promise<{ conversation: Conversation; outdated: boolean }> {
  const lock = () => db.selectFrom('bot_conversations').selectAll().where('channel', '=', channel).where('chat_id', '=', chatId).forUpdate().executeTakeFirst();
  // Known chats (nearly every update) cost one statement; a first contact inserts, then locks.
  let row = await lock();
  if (!row) {
    await db
      .insertInto('bot_conversations')
      .values({ channel, chat_id: chatId, state: JSON.stringify(initialState()), state_version: STATE_VERSION })
      .onConflict((oc) => oc.columns(['channel', 'chat_id']).doNothing())
      .execute();
    row = (await lock())!;
  }
  const parsed = storedState.safeParse(row.state);
  const outdated = row.state_version !== STATE_VERSION || !parsed.success;
  return {
    outdated,
    conversation: {
      id: row.id,
      channel: row.channel,
      chatId: row.chat_id,
      patientId: row.patient_id,
      guardianId: row.guardian_id,
      language: row.language,
      handedToStaffAt: row.handed_to_staff_at,
      state: outdated || !parsed.success ? initialState() : (parsed.data as ConversationState),
    },
  };
}

export async function saveConversation(db: Kysely<DB>, conversation: Conversation, at: Date): Promise<void> {
  await db
    .updateTable('bot_conversations')
    .set({
      patient_id: conversation.patientId,
      guardian_id: conversation.guardianId,
      language: conversation.language,
      handed_to_staff_at: conversation.handedToStaffAt,
      state: sql`${JSON.stringify(conversation.state)}::jsonb`,
      state_version: STATE_VERSION,
      last_message_at: at,
    })
    .where('id', '=', conversation.id)
    .execute();
}

/** Whether a chat is known to be a patient or guardian (a stranger's files are never fetched). */
export async function isChatIdentified(db: Kysely<DB>, channel: ChatChannel, chatId: string): Promise<boolean> {
  const row = await db
    .selectFrom('bot_conversations')
    .select('id')
    .where('channel', '=', channel)
    .where('chat_id', '=', chatId)
    .where((eb) => eb.or([eb('patient_id', 'is not', null), eb('guardian_id', 'is not', null)]))
    .executeTakeFirst();
  return Boolean(row);
}
