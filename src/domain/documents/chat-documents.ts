import { z } from 'zod';
import type { DomainContext } from '../context.js';
import { ForbiddenError, parseInput } from '../errors.js';
import { requireInCare } from '../people/in-care.js';
import { requireLivePatient } from '../people/live-patient.js';
import { checkContent } from './document-content.js';
import { safeDisplayName, type UploadChannel } from './document-fields.js';
import { storeDocument } from './store-document.js';

// A patient or guardian sends a document to the clinic's bot (a prescription, a school report): it
// is filed to the record of the patient they act for, as type "other", for the therapists to
// review (access "therapist", marked as needing review). The name they sent is only shown, made
// safe first; the type is told by the content.

const CHANNELS: Record<'telegram' | 'whatsapp' | 'terminal', UploadChannel> = {
  telegram: 'telegram',
  whatsapp: 'whatsapp',
  terminal: 'terminal_chat',
};

const chatDocumentInput = z.object({
  patientId: z.number().int().positive(),
  bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be the file’s bytes'),
  originalName: z.string().nullish(),
  channel: z.enum(['telegram', 'whatsapp', 'terminal']),
});
export type ChatDocumentInput = z.input<typeof chatDocumentInput>;

/**
 * Files a document sent from a chat. The actor is the patient or guardian of the conversation and
 * must act for the patient (anyone else's patient is "not found"). Refusals (empty, too large, a
 * type not kept) are InvalidInputError with `details.reason` 'empty' | 'too_large' |
 * 'type_not_allowed', for the bot to answer in the patient's language.
 */
export async function fileDocumentFromChat(ctx: DomainContext, raw: ChatDocumentInput) {
  const input = parseInput(chatDocumentInput, raw);
  const { actor } = ctx;
  if (actor.kind !== 'patient' && actor.kind !== 'guardian') {
    throw new ForbiddenError('Only a patient or guardian files documents from a chat; staff use `roshni doc add`.');
  }
  await requireInCare(ctx, input.patientId);
  await requireLivePatient(ctx, input.patientId);
  const kind = await checkContent(ctx, input.bytes);
  const filed = await storeDocument(ctx, {
    patientId: input.patientId,
    bytes: input.bytes,
    kind,
    originalName: safeDisplayName(input.originalName),
    docType: 'other',
    access: 'therapist',
    therapySessionId: null,
    needsReview: true,
    uploadedVia: CHANNELS[input.channel],
  });
  return { id: filed.id, patientId: filed.patientId, name: filed.name, mimeType: filed.mimeType, sizeBytes: filed.sizeBytes };
}
