import { isChatIdentified } from '../../domain/messaging/conversations.js';
import type { ChatRateLimiter } from './rate-limit.js';
import type { EngineDeps, IncomingDocument, ReceivedDocument, Update } from './types.js';

// Whether to fetch a file a chat announced, decided before a byte is downloaded: only for a chat that
// is identified, when the clinic keeps documents, within the size limit (as the channel tells it) and
// within the chat's allowance of documents. A stranger's files are never fetched.

export async function takeDocument(deps: EngineDeps, allowance: ChatRateLimiter, update: Update, input: IncomingDocument): Promise<ReceivedDocument> {
  const base: ReceivedDocument = { kind: 'document', ...(input.name ? { name: input.name } : {}) };
  if (input.bytes) return { ...base, bytes: input.bytes };
  const store = deps.documentStore;
  if (!store || !(await isChatIdentified(deps.db, update.channel, update.chatId))) return base;
  if (input.tooLarge || (input.size !== undefined && input.size > store.maxBytes)) return { ...base, refused: 'too_large' };
  if (allowance.check(`${update.channel}:${update.chatId}`) !== 'ok') return { ...base, refused: 'too_many' };
  if (!input.download) return base;
  const fetched = await input.download();
  return { kind: 'document', bytes: fetched.bytes, ...((fetched.name ?? input.name) ? { name: fetched.name ?? input.name } : {}) };
}
