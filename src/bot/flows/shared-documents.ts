import { z } from 'zod';
import { getDocument, listDocuments } from '../../domain/documents/documents.js';
import { isDomainError } from '../../domain/errors.js';
import { friendlyTime } from '../engine/i18n.js';
import { defineFlow, step } from '../engine/flow.js';
import { choice, offerOrMenu, opt, say, t, unknownInput } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';
import { guarded, idFrom, noData, recordId } from './common.js';

// Documents the clinic shared with the family (access "patient" or "family": a progress report,
// an invoice, a consent form), sent as files. Clinical papers never leave the clinic by chat; the
// domain decides which documents these are, and every opening is audited.

/** The newest few: a chat is no place for a long list (the clinic can send older ones). */
const SHOWN = 8;

async function offerDocuments(turn: Turn, patientId: number): Promise<void> {
  const documents = await guarded(turn, () => listDocuments(turn.ctx, { patientId }));
  const lang = turn.conversation.language;
  await offerOrMenu(
    turn,
    'shared-documents.pick',
    t(turn, 'documentsShared'),
    documents.slice(0, SHOWN).map((d) => opt(`doc:${d.id}`, `${d.name} · ${friendlyTime(d.addedAt, turn.ctx.timezone, lang)}`)),
    'noDocumentsShared',
  );
}

const pickDocument = step(noData, async (turn) => {
  const documentId = idFrom(choice(turn), 'doc');
  if (!documentId) return unknownInput(turn);
  try {
    const { document, bytes } = await guarded(turn, () => getDocument(turn.ctx, { documentId }));
    turn.replies.push({
      kind: 'file',
      bytes: Buffer.from(bytes),
      name: document.name,
      mimeType: document.mimeType,
      caption: t(turn, 'documentCaption', { name: document.name }),
    });
  } catch (error) {
    if (!isDomainError(error)) throw error;
    say(turn, 'documentUnavailable');
  }
  await turn.goTo('menu');
});

export const sharedDocumentsFlow = defineFlow({
  name: 'shared-documents',
  /** Nothing: whose documents first; `patientId` once known. */
  input: z.object({ patientId: recordId }).optional(),
  start(turn, input) {
    if (!turn.ctx.documentStore) {
      say(turn, 'documentUnavailable');
      return turn.goTo('menu');
    }
    return input ? offerDocuments(turn, input.patientId) : turn.goTo('patient-choice', { then: 'shared-documents' });
  },
  steps: { pick: pickDocument },
});
