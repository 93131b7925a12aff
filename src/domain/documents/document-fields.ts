import { z } from 'zod';
import type { DocumentAccess } from '../../infra/db/schema.js';
import { hasUnsafeCharacters, UNSAFE_CHARS_ALL } from '../plain-text.js';

// What a document is (its type, its default access level) and how its name is given and shown.

export const DOCUMENT_TYPES = ['report', 'prescription', 'assessment', 'consent_form', 'referral', 'invoice', 'media', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export type UploadChannel = 'cli' | 'telegram' | 'whatsapp' | 'terminal_chat';

/** Without --access: clinical papers are for the therapists, the patient's own paperwork for any staff. */
export const DEFAULT_ACCESS: Record<DocumentType, DocumentAccess> = {
  report: 'therapist',
  prescription: 'therapist',
  assessment: 'therapist',
  referral: 'therapist',
  media: 'therapist',
  other: 'therapist',
  consent_form: 'patient',
  invoice: 'patient',
};

/** A document's name as staff give it: a plain file name, refused when it holds a path or control characters. */
export const documentName = z
  .string()
  .trim()
  .min(1, 'is empty')
  .max(200, 'is longer than 200 characters')
  .refine((name) => !/[/\\]/.test(name) && name !== '.' && name !== '..', 'must be a plain file name, without / or \\ (no paths)')
  .refine((name) => !hasUnsafeCharacters(name), 'must not contain control characters');

/** A name from outside (a chat) made safe to show: its last path segment, without control characters. */
export function safeDisplayName(raw: string | null | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const clean = last.replace(UNSAFE_CHARS_ALL, '').replace(/\s+/g, ' ').trim().replace(/^\.+/, '').slice(0, 200).trim();
  return clean || 'document';
}
