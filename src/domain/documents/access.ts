import type { DocumentAccess } from '../../infra/db/schema.js';
import { recordAudit } from '../audit/record-audit.js';
import { treatsPatient } from '../clinical/treating-therapist.js';
import type { DomainContext } from '../context.js';
import { ForbiddenError, isDomainError } from '../errors.js';
import { requireInCare } from '../people/in-care.js';
import { authorize, type Action } from '../policy.js';

// Who may add, open and remove a patient's documents. Each document has an access level naming its
// widest audience:
//   patient   the patient's own papers (consent forms, invoices): any staff member, and the patient
//             (or their guardians) through the chat
//   family    papers meant for the family (a progress report for parents): the same
//   therapist clinical (reports, prescriptions, assessments…): the patient's own therapists and admins
//   admin     admins only
// A receptionist handles only patient/family documents; a therapist only their own patients'
// (see treating-therapist.ts), up to "therapist"; an admin everything; a patient or
// guardian may open (never add or remove) the patient/family documents of a patient in their care.
// The same rule decides adding, opening, listing and removing, and every refusal is audited.

export const ACCESS_LEVELS = ['patient', 'family', 'therapist', 'admin'] as const satisfies readonly DocumentAccess[];

/** The levels that may leave the clinic: what a patient or guardian may open through the chat. */
export const SHARED_LEVELS = ['patient', 'family'] as const satisfies readonly DocumentAccess[];

const STAFF_LEVELS: Record<'admin' | 'receptionist' | 'therapist', readonly DocumentAccess[]> = {
  admin: ACCESS_LEVELS,
  therapist: [...SHARED_LEVELS, 'therapist'],
  receptionist: SHARED_LEVELS,
};

export type DocumentAction = Extract<Action, 'document.read' | 'document.add' | 'document.remove'>;

/** The access levels the actor may handle for this patient (the system: all). */
export async function documentLevels(ctx: DomainContext, action: DocumentAction, patientId: number): Promise<readonly DocumentAccess[]> {
  const { actor } = ctx;
  if (actor.kind === 'patient' || actor.kind === 'guardian') {
    // Anyone else's patient is "not found"; documents a patient sends are filed by chat-documents.ts.
    await requireInCare(ctx, patientId);
    if (action !== 'document.read') throw new ForbiddenError('Only the clinic files or removes documents.', { action });
    return SHARED_LEVELS;
  }
  authorize(actor, action);
  if (actor.kind !== 'staff') return ACCESS_LEVELS;
  if (actor.role === 'therapist' && (actor.therapistId === null || !(await treatsPatient(ctx, actor.therapistId, patientId)))) {
    throw new ForbiddenError('A therapist may only handle the documents of their own patients.', { action });
  }
  return STAFF_LEVELS[actor.role];
}

function refusal(ctx: DomainContext, level: DocumentAccess): ForbiddenError {
  const role = ctx.actor.kind === 'staff' ? ctx.actor.role : ctx.actor.kind;
  return level === 'admin'
    ? new ForbiddenError(`Only an admin may handle this document (access: admin).`)
    : new ForbiddenError(`A ${role} may not handle clinical documents (access: ${level}).`);
}

/**
 * Refuses an actor who may not handle a document of this level for this patient; a refusal is
 * audited (outcome "denied"), written outside any transaction so that it survives the error.
 * Returns the levels the actor may handle.
 */
export async function requireDocumentAccess(
  ctx: DomainContext,
  action: DocumentAction,
  target: { patientId: number; level?: DocumentAccess; documentId?: number | null },
): Promise<readonly DocumentAccess[]> {
  try {
    const levels = await documentLevels(ctx, action, target.patientId);
    if (target.level && !levels.includes(target.level)) throw refusal(ctx, target.level);
    return levels;
  } catch (error) {
    if (isDomainError(error) && error.kind === 'forbidden' && !ctx.db.isTransaction) {
      await recordAudit(ctx, {
        action,
        entity: target.documentId ? 'document' : 'patient',
        entityId: target.documentId ?? target.patientId,
        patientId: target.patientId,
        outcome: 'denied',
        ...(target.level ? { meta: { accessLevel: target.level } } : {}),
      });
    }
    throw error;
  }
}
