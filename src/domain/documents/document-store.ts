import { createHash } from 'node:crypto';

// Where documents' contents live, as the domain needs it: content-addressed by SHA-256, so one
// content is stored once and a file's name is never part of a path. src/infra/storage/file-document-store.ts
// implements it on disk under ROSHNI_HOME/documents; the CLI (and the bots) create it from the configuration.

export interface DocumentStore {
  /** The largest document accepted, in bytes (ROSHNI_MAX_DOCUMENT_MB). */
  readonly maxBytes: number;
  /** Stores `bytes` under their SHA-256 unless already there; `created` says whether it was written now. */
  put(sha256: string, bytes: Uint8Array): Promise<{ created: boolean }>;
  /** The content with this SHA-256, or null when the store has none. */
  get(sha256: string): Promise<Uint8Array | null>;
  /** Removes the content (nothing happens when it is not there). */
  delete(sha256: string): Promise<void>;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
