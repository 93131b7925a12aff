/**
 * The shape version of a chat's stored conversation (bot_conversations.state): bumped when the bot's
 * flows change shape, so a conversation saved by an older version restarts politely. Here, below the
 * bot engine, because the outbox's chat offers (src/infra/channels/chat-offers.ts) write it too.
 */
export const STATE_VERSION = 3;
