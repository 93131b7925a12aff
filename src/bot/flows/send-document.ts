import { z } from 'zod';
import { fileDocumentFromChat } from '../../domain/documents/chat-documents.js';
import { holdPendingDocument, takePendingDocument } from '../../domain/documents/pending-chat-documents.js';
import { checkContent, readableSize } from '../../domain/documents/documents.js';
import { isDomainError } from '../../domain/errors.js';
import { patientsInCare } from '../../domain/people/in-care.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, opt, say, t, unknownInput } from '../engine/kit.js';
import type { ReceivedDocument, Turn } from '../engine/types.js';
import { guarded, idFrom, recordId } from './common.js';

// A document sent to the clinic's chat (a prescription, a school report) is filed to the record of
// the patient it is for, as "other", for the therapists to review. A guardian of several children
// says whose it is first; meanwhile the content waits in the database for an hour (pending-chat-documents),
// never in the document store: nothing is on disk that no record names.

const REFUSALS: Record<string, 'documentEmpty' | 'documentTooLarge' | 'documentType'> = {
  empty: 'documentEmpty',
  too_large: 'documentTooLarge',
  type_not_allowed: 'documentType',
};

/** A refusal of the content (empty, too large, a kind not kept) in the chat's words; else rethrown. */
function sayRefusal(turn: Turn, error: unknown): void {
  const reason = isDomainError(error) ? String(error.details?.reason ?? '') : '';
  const key = REFUSALS[reason];
  if (!key) throw error;
  say(turn, key, { max: readableSize(turn.ctx.documentStore?.maxBytes ?? 0) });
}

async function file(turn: Turn, patientId: number, bytes: Uint8Array, name: string | undefined): Promise<void> {
  try {
    await guarded(turn, () => fileDocumentFromChat(turn.ctx, { patientId, bytes, originalName: name ?? null, channel: turn.conversation.channel }));
    say(turn, 'documentFiled');
  } catch (error) {
    sayRefusal(turn, error);
  }
  await turn.goTo('menu');
}

async function receiveDocument(turn: Turn, document: ReceivedDocument): Promise<void> {
  const store = turn.ctx.documentStore;
  if (!store) {
    say(turn, 'documentsOff');
    return turn.goTo('menu');
  }
  if (document.refused === 'too_large') {
    say(turn, 'documentTooLarge', { max: readableSize(store.maxBytes) });
    return turn.goTo('menu');
  }
  if (document.refused === 'too_many' || !document.bytes) {
    say(turn, 'documentsTooMany');
    return turn.goTo('menu');
  }
  const inCare = await patientsInCare(turn.ctx);
  if (!inCare.length) return say(turn, 'noChildren');
  if (inCare.length === 1) return file(turn, inCare[0]!.id, document.bytes, document.name);
  try {
    await checkContent(turn.ctx, document.bytes);
  } catch (error) {
    sayRefusal(turn, error);
    return turn.goTo('menu');
  }
  const pending = await holdPendingDocument(turn.ctx, turn.conversation.id, { bytes: document.bytes, ...(document.name ? { name: document.name } : {}) });
  ask(
    turn,
    'send-document.whose',
    t(turn, 'documentForWhom'),
    inCare.map((p) => opt(`patient:${p.id}`, p.fullName)),
    { pending },
  );
}

const whose = step(z.object({ pending: recordId }), async (turn, { pending }) => {
  const patientId = idFrom(choice(turn), 'patient');
  if (!patientId) return unknownInput(turn);
  const document = await takePendingDocument(turn.ctx, turn.conversation.id, pending);
  if (!document) {
    say(turn, 'documentLost');
    return turn.goTo('menu');
  }
  await file(turn, patientId, document.bytes, document.name);
});

/** A document as the engine hands it over: fetched, or refused before fetching (ReceivedDocument). */
const received: z.ZodType<ReceivedDocument> = z.object({
  kind: z.literal('document'),
  name: z.string().optional(),
  bytes: z.instanceof(Uint8Array).optional(),
  refused: z.enum(['too_large', 'too_many']).optional(),
});

export const sendDocumentFlow = defineFlow({ name: 'send-document', input: received, start: receiveDocument, steps: { whose } });
