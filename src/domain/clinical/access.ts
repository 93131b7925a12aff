import { sql } from 'kysely';
import { recordAudit } from '../audit/record-audit.js';
import type { DomainContext } from '../context.js';
import { ForbiddenError, isDomainError } from '../errors.js';
import { authorize, type Action } from '../policy.js';
import { treatsPatient } from './treating-therapist.js';

// Clinical records (session notes, assessments, goals) are the most private data the clinic holds.
// Receptionists never see them; a therapist sees and writes only those of their own patients (assigned
// to them, or seen by them: see treating-therapist.ts); an admin may read. Every read
// lands in the audit log, by id only.

export type ClinicalEntity = 'therapy_session' | 'assessment' | 'goal' | 'progress';

async function check(ctx: DomainContext, action: Action, patientId: number): Promise<void> {
  authorize(ctx.actor, action);
  const { actor } = ctx;
  if (actor.kind !== 'staff' || actor.role !== 'therapist') return;
  if (actor.therapistId === null || !(await treatsPatient(ctx, actor.therapistId, patientId))) {
    throw new ForbiddenError('A therapist may only see and write the clinical records of their own patients.', { action });
  }
}

/**
 * Refuses an actor who may not read or write this patient's clinical records. A refusal is itself
 * audited (outcome "denied"), written outside any transaction so that it survives the error.
 */
export async function requireClinicalAccess(
  ctx: DomainContext,
  mode: 'read' | 'write',
  target: { entity: ClinicalEntity; entityId?: number | null; patientId: number },
): Promise<void> {
  const action: Action = mode === 'read' ? 'clinical.read' : 'clinical.write';
  try {
    await check(ctx, action, target.patientId);
  } catch (error) {
    if (isDomainError(error) && error.kind === 'forbidden' && !ctx.db.isTransaction) {
      await recordAudit(ctx, {
        action: `clinical.${mode}`,
        entity: target.entity,
        entityId: target.entityId ?? null,
        patientId: target.patientId,
        outcome: 'denied',
      });
    }
    throw error;
  }
}

/** The audit entry of a read: who read which record of which patient (never its text). */
export async function auditClinicalRead(
  ctx: DomainContext,
  target: { entity: ClinicalEntity; entityId?: number | null; patientId: number; meta?: Record<string, unknown> },
): Promise<void> {
  await recordAudit(ctx, {
    action: 'clinical.read',
    entity: target.entity,
    entityId: target.entityId ?? null,
    patientId: target.patientId,
    ...(target.meta ? { meta: target.meta } : {}),
  });
}

/** The therapist a clinical record is written by: the acting therapist, or (admin/system) the one named. */
export function writingTherapistId(ctx: DomainContext, fallback: number | undefined): number | undefined {
  const { actor } = ctx;
  if (actor.kind === 'staff' && actor.role === 'therapist') return actor.therapistId ?? undefined;
  return fallback;
}

export type LocatableRecord = 'therapy_session' | 'therapy_session_of_appointment' | 'assessment' | 'goal';

/**
 * Finds whose record an id names (ids only, never its text) before the actor's access is checked: the
 * database answers this for anyone (roshni_locate_clinical, migration 0017), since its row security would
 * hide another therapist's record and turn a refusal (audited) into "not found".
 */
export async function locateClinicalRecord(
  ctx: DomainContext,
  kind: LocatableRecord,
  key: number,
): Promise<{ id: number; patient_id: number; therapist_id: number } | undefined> {
  const { rows } = await sql<{ id: number; patient_id: number; therapist_id: number }>`
    SELECT id, patient_id, therapist_id FROM roshni_locate_clinical(${kind}, ${key})`.execute(ctx.db);
  return rows[0];
}
