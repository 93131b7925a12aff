import type { StaffRole } from '../infra/db/schema.js';

/** Who is acting. Staff act from the CLI; patients and guardians through the bots; the system runs jobs. */
export type Actor =
  | { kind: 'staff'; staffUserId: number; role: StaffRole; therapistId: number | null }
  | { kind: 'system' }
  | { kind: 'patient'; patientId: number }
  | { kind: 'guardian'; guardianId: number };

export const systemActor: Actor = { kind: 'system' };

export function staffUserIdOf(actor: Actor): number | null {
  return actor.kind === 'staff' ? actor.staffUserId : null;
}

export function roleOf(actor: Actor): StaffRole | 'system' | 'patient' | 'guardian' {
  return actor.kind === 'staff' ? actor.role : actor.kind;
}
