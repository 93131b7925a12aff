import { sql } from 'kysely';
import type { DomainContext } from '../context.js';
import { InvalidInputError } from '../errors.js';
import type { DocumentStore } from './document-store.js';
import { detectFileKind, type FileKind } from './file-kind.js';

// A document's content in the document store (once per SHA-256): its checks before it is written,
// and letting it go once no live document refers to it.

export function requireDocumentStore(ctx: DomainContext): DocumentStore {
  if (!ctx.documentStore) throw new Error('No document store in the context: create one from the configuration (documentStoreFor).');
  return ctx.documentStore;
}

/** Serialises everything touching one content (adding it, letting it go) across processes. */
export async function lockContent(ctx: DomainContext, sha256: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`roshni:document:${sha256}`}))`.execute(ctx.db);
}

/**
 * Deletes a content from the store when no live document refers to it any more (inside the
 * caller's transaction, under the content's lock). Returns whether it was deleted.
 */
export async function releaseContent(ctx: DomainContext, sha256: string): Promise<boolean> {
  await lockContent(ctx, sha256);
  // Every patient's documents count, whoever is acting (row security would hide some): only a yes/no leaves.
  const { rows } = await sql<{ used: boolean }>`SELECT roshni_content_in_use(${sha256}) AS used`.execute(ctx.db);
  if (rows[0]!.used) return false;
  await requireDocumentStore(ctx).delete(sha256);
  return true;
}

/** Size and type, checked before anything is written. */
export async function checkContent(ctx: DomainContext, bytes: Uint8Array): Promise<FileKind> {
  const { maxBytes } = requireDocumentStore(ctx);
  if (bytes.byteLength === 0) throw new InvalidInputError('The file is empty.', { reason: 'empty' });
  if (bytes.byteLength > maxBytes) {
    throw new InvalidInputError(`The file is ${readableSize(bytes.byteLength)}; documents may be at most ${readableSize(maxBytes)}.`, { reason: 'too_large' });
  }
  return detectFileKind(bytes);
}

/** A size as people read it: 57 bytes, 12.3 KB, 4.0 MB. */
export function readableSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
