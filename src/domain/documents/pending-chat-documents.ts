import { sql } from 'kysely';
import type { DomainContext } from '../context.js';

// A document sent by chat waits here, in the database and never on disk, while its sender says whose
// it is (a guardian of several children). It is deleted once filed, and within the hour if not.

export const PENDING_DOCUMENT_MINUTES = 60;

/** Deletes pending documents whose hour has passed; how many. */
export async function sweepPendingDocuments(ctx: DomainContext): Promise<number> {
  const result = await ctx.db.deleteFrom('pending_chat_documents').where('expires_at', '<=', ctx.clock.now()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Holds a document for a conversation until its sender answers; its id goes in the conversation's state. */
export async function holdPendingDocument(ctx: DomainContext, conversationId: number, document: { bytes: Uint8Array; name?: string }): Promise<number> {
  await sweepPendingDocuments(ctx);
  // One waits per conversation: a second document replaces the first, whose question is no longer asked.
  await ctx.db.deleteFrom('pending_chat_documents').where('conversation_id', '=', conversationId).execute();
  const now = ctx.clock.now();
  const row = await ctx.db
    .insertInto('pending_chat_documents')
    .values({
      conversation_id: conversationId,
      original_name: document.name ?? null,
      content: Buffer.from(document.bytes),
      received_at: now,
      expires_at: sql<Date>`${now}::timestamptz + make_interval(mins => ${PENDING_DOCUMENT_MINUTES})`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Takes the conversation's pending document out (deleting it); null when it expired or never was. */
export async function takePendingDocument(ctx: DomainContext, conversationId: number, id: number): Promise<{ bytes: Uint8Array; name?: string } | null> {
  const row = await ctx.db
    .deleteFrom('pending_chat_documents')
    .where('id', '=', id)
    .where('conversation_id', '=', conversationId)
    .where('expires_at', '>', ctx.clock.now())
    .returning(['content', 'original_name'])
    .executeTakeFirst();
  if (!row) return null;
  return { bytes: new Uint8Array(row.content), ...(row.original_name ? { name: row.original_name } : {}) };
}
