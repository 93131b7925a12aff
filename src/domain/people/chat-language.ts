import { recordAudit } from '../audit/record-audit.js';
import type { Actor } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ForbiddenError } from '../errors.js';
import { authorize } from '../policy.js';
import type { ChatIdentity } from './chat-identity.js';

export type ChatLanguage = 'en' | 'hi';

/** A patient or guardian chooses their own language; staff need patient.manage (the system may). */
function mayChange(actor: Actor, who: ChatIdentity): void {
  if (actor.kind === 'patient' || actor.kind === 'guardian') {
    const own =
      who.kind === 'guardian'
        ? actor.kind === 'guardian' && actor.guardianId === who.guardianId
        : actor.kind === 'patient' && actor.patientId === who.patientId;
    if (!own) throw new ForbiddenError('A chat may change only its own language.', { action: 'patient.language' });
    return;
  }
  authorize(actor, 'patient.manage');
}

/** The language a chat picked becomes the person's preferred one: reminders and replies use it. */
export async function setPreferredLanguage(ctx: DomainContext, who: ChatIdentity, language: ChatLanguage): Promise<void> {
  mayChange(ctx.actor, who);
  await inTransaction(ctx, async (tx) => {
    const table = who.kind === 'guardian' ? 'guardians' : 'patients';
    const id = who.kind === 'guardian' ? who.guardianId : who.patientId;
    const before = await tx.db.selectFrom(table).select('preferred_language').where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before || before.preferred_language === language) return;
    await tx.db.updateTable(table).set({ preferred_language: language }).where('id', '=', id).execute();
    await recordAudit(tx, {
      action: 'language.set',
      entity: who.kind,
      entityId: id,
      patientId: who.kind === 'patient' ? who.patientId : null,
      before: { language: before.preferred_language },
      after: { language },
    });
  });
}
