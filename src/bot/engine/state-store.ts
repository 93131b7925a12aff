import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { STATE_VERSION } from '../../infra/db/conversation-state-version.js';
import type { DB } from '../../infra/db/schema.js';
import type { ChatChannel, Conversation, ConversationState } from './types.js';

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
export async function loadConversation(
  db: Kysely<DB>,
  channel: ChatChannel,
  chatId: string,
): Promise<{ conversation: Conversation; outdated: boolean }> {
  const lock = () =>
    db.selectFrom('bot_conversations').selectAll().where('channel', '=', channel).where('chat_id', '=', chatId).forUpdate().executeTakeFirst();
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
