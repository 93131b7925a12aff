import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { DB } from '../../infra/db/schema.js';
import type { ChatChannel } from './conversations.js';

// Updates a bot took from its channel and has not handled yet, kept in the database while the
// channel is told to let go of them (Telegram's long polling: src/bot/channels/telegram-polling.ts).
// A row lives from the moment an update would hold the channel back until the update is handled;
// rows left by a stop or a crash are handled at the next start.

/** Whose updates: a channel's bot (a Telegram bot's own id: another token's updates are another bot's). */
export interface BotKey {
  channel: ChatChannel;
  botId: number;
}

export interface UpdateInHand {
  updateId: number;
  /** The chat whose turn it takes (an erasure deletes a chat's rows). */
  chatId: string;
  /** The update as the channel sent it. */
  update: unknown;
  takenAt: Date;
}

/** Keeps the updates, all in one statement; one kept already stays as it is. */
export async function keepUpdatesInHand(db: Kysely<DB>, bot: BotKey, updates: readonly UpdateInHand[]): Promise<void> {
  if (!updates.length) return;
  await db
    .insertInto('updates_in_hand')
    .values(
      updates.map((u) => ({
        channel: bot.channel,
        bot_id: bot.botId,
        update_id: u.updateId,
        chat_id: u.chatId,
        update: JSON.stringify(u.update),
        taken_at: u.takenAt,
      })),
    )
    .onConflict((oc) => oc.columns(['channel', 'bot_id', 'update_id']).doNothing())
    .execute();
}

/** Handled: the updates' rows go, in one statement. */
export async function forgetUpdatesInHand(db: Kysely<DB>, bot: BotKey, updateIds: readonly number[]): Promise<void> {
  if (!updateIds.length) return;
  await db
    .deleteFrom('updates_in_hand')
    .where('channel', '=', bot.channel)
    .where('bot_id', '=', bot.botId)
    .where('update_id', 'in', [...updateIds])
    .execute();
}

/** The bot's updates left in hand (by a stop or a crash), in the order they came. */
export async function updatesLeftInHand(db: Kysely<DB>, bot: BotKey): Promise<UpdateInHand[]> {
  const rows = await db
    .selectFrom('updates_in_hand')
    .select(['update_id', 'chat_id', 'update', 'taken_at'])
    .where('channel', '=', bot.channel)
    .where('bot_id', '=', bot.botId)
    .orderBy('update_id')
    .execute();
  return rows.map((r) => ({ updateId: r.update_id, chatId: r.chat_id, update: r.update, takenAt: r.taken_at }));
}

/** An erasure: the updates in hand of the chats it deletes (bot_conversations ids) go with them. */
export async function forgetChatsUpdatesInHand(db: Kysely<DB>, chats: SelectQueryBuilder<DB, 'bot_conversations', { id: number }>): Promise<void> {
  await db
    .deleteFrom('updates_in_hand')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('bot_conversations as c')
          .select('c.id')
          .whereRef('c.channel', '=', 'updates_in_hand.channel')
          .whereRef('c.chat_id', '=', 'updates_in_hand.chat_id')
          .where('c.id', 'in', chats),
      ),
    )
    .execute();
}
