import type { StaffRole } from '../infra/db/schema.js';

export interface StaffActor {
  kind: 'staff';
  staffUserId: number;
  role: StaffRole;
  therapistId: number | null;
}

/**
 * A family acted for by the desk (`roshni chat --as`): the chat keeps the family's rules and sees only
 * their records, but what it does is recorded as done by the operator, the member of staff at the desk.
 */
interface ForFamily {
  operator?: StaffActor;
}

/** Who is acting. Staff act from the CLI; patients and guardians through the bots; the system runs jobs. */
export type Actor =
  StaffActor | { kind: 'system' } | ({ kind: 'patient'; patientId: number } & ForFamily) | ({ kind: 'guardian'; guardianId: number } & ForFamily);

export const systemActor: Actor = { kind: 'system' };

/** The member of staff a change is recorded as made by: the actor, or the desk acting for a family. */
export function recordedStaff(actor: Actor): StaffActor | null {
  if (actor.kind === 'staff') return actor;
  return actor.kind === 'patient' || actor.kind === 'guardian' ? (actor.operator ?? null) : null;
}

export function staffUserIdOf(actor: Actor): number | null {
  return recordedStaff(actor)?.staffUserId ?? null;
}

/** For the audit: the family the desk acted for, when it did. */
export function onBehalfOf(actor: Actor): { onBehalfOf: 'patient'; patientId: number } | { onBehalfOf: 'guardian'; guardianId: number } | null {
  if (actor.kind === 'patient' && actor.operator) return { onBehalfOf: 'patient', patientId: actor.patientId };
  if (actor.kind === 'guardian' && actor.operator) return { onBehalfOf: 'guardian', guardianId: actor.guardianId };
  return null;
}
