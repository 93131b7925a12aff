import type { Actor } from './actor.js';
import { ForbiddenError } from './errors.js';

export type StaffRoleName = 'admin' | 'receptionist' | 'therapist';

// Who may do what. The system actor (jobs, `roshni init` before any staff exist) may do everything.
const RULES = {
  'clinic.configure': ['admin'],
  'staff.manage': ['admin'],
  'staff.read': ['admin', 'receptionist'],
  'therapist.manage': ['admin'],
  'service.manage': ['admin'],
  'schedule.manage': ['admin', 'receptionist'],
  'schedule.read': ['admin', 'receptionist', 'therapist'],
  'patient.manage': ['admin', 'receptionist'],
  'patient.read': ['admin', 'receptionist', 'therapist'],
  'appointment.book': ['admin', 'receptionist'],
  'appointment.change': ['admin', 'receptionist'],
  'appointment.attend': ['admin', 'receptionist', 'therapist'],
  'waitlist.manage': ['admin', 'receptionist'],
  'payment.record': ['admin', 'receptionist'],
  'payment.refund': ['admin'],
  'payment.waive': ['admin'],
  'billing.read': ['admin', 'receptionist'],
  'package.manage': ['admin'],
  'package.sell': ['admin', 'receptionist'],
  'demo.load': ['admin'],
  // The terminal chat acts for a family: the desk's job, never a therapist's (who could book a child with herself).
  'chat.as': ['admin', 'receptionist'],
  'notification.read': ['admin', 'receptionist'],
  'notification.manage': ['admin', 'receptionist'],
  'jobs.run': ['admin'],
  'backup.manage': ['admin'],
  'audit.read': ['admin'],
  'audit.verify': ['admin'],
  // The owner's reports: revenue, utilisation, attendance, patients (dues and package balances: billing.read).
  'report.read': ['admin'],
  // Clinical records: therapists only for their own patients (checked in domain/clinical/access.ts).
  'clinical.read': ['admin', 'therapist'],
  'clinical.write': ['therapist'],
  // Documents: further narrowed by each document's access level (domain/documents/access.ts):
  // receptionists only non-clinical ones, therapists only their own patients', admins all.
  'document.read': ['admin', 'receptionist', 'therapist'],
  'document.add': ['admin', 'receptionist', 'therapist'],
  'document.remove': ['admin', 'receptionist', 'therapist'],
  // Patients' data rights (DPDP Act 2023): consents at the desk; export and erasure by an admin.
  'consent.read': ['admin', 'receptionist'],
  'consent.manage': ['admin', 'receptionist'],
  'patient.export': ['admin'],
  'patient.erase': ['admin'],
} as const satisfies Record<string, readonly StaffRoleName[]>;

export type Action = keyof typeof RULES;

/** What each action is, as a refusal names it: "A receptionist may not waive charges". */
const DOING: Record<Action, string> = {
  'clinic.configure': "change the clinic's settings",
  'staff.manage': 'manage staff users',
  'staff.read': 'see staff users',
  'therapist.manage': 'manage therapists',
  'service.manage': 'manage services',
  'schedule.manage': 'change the schedule',
  'schedule.read': 'see the schedule',
  'patient.manage': 'add or change patients',
  'patient.read': 'see patients',
  'appointment.book': 'book appointments',
  'appointment.change': 'change appointments',
  'appointment.attend': 'record attendance',
  'waitlist.manage': 'manage the waitlist',
  'payment.record': 'take payments',
  'payment.refund': 'refund payments',
  'payment.waive': 'waive charges',
  'billing.read': 'see bills and dues',
  'package.manage': 'manage package plans',
  'package.sell': 'sell packages',
  'demo.load': 'load the demo clinic',
  'chat.as': 'chat as a patient or guardian',
  'notification.read': 'see the outbox',
  'notification.manage': 'manage the outbox',
  'jobs.run': 'run scheduled jobs',
  'backup.manage': 'manage backups',
  'audit.read': 'read the audit log',
  'audit.verify': 'verify the audit log',
  'report.read': "read the clinic's reports",
  'clinical.read': 'read clinical records',
  'clinical.write': 'write clinical records',
  'document.read': 'read documents',
  'document.add': 'add documents',
  'document.remove': 'remove documents',
  'consent.read': 'see consent records',
  'consent.manage': 'record consents',
  'patient.export': "export a patient's data",
  'patient.erase': "erase a patient's data",
};

/** The refusal's one line: who, what, and who may ("… (payment.waive: admin only)."). */
export function refusal(actor: Actor, action: Action): string {
  const who = actor.kind === 'staff' ? `${/^[aeiou]/.test(actor.role) ? 'An' : 'A'} ${actor.role}` : 'This account';
  return `${who} may not ${DOING[action]} (${action}: ${RULES[action].join(' or ')} only).`;
}

export function isAllowed(actor: Actor, action: Action): boolean {
  if (actor.kind === 'system') return true;
  if (actor.kind !== 'staff') return false;
  return (RULES[action] as readonly string[]).includes(actor.role);
}

export function authorize(actor: Actor, action: Action): void {
  if (!isAllowed(actor, action)) throw new ForbiddenError(refusal(actor, action), { action });
}

/**
 * For actions a patient or guardian may take on their own records (change an appointment, ask to
 * pay for it): staff and the system need the permission; a patient's or guardian's ownership is
 * checked by the caller, where the record is locked.
 */
export function authorizeStaffOrOwner(actor: Actor, action: Action): void {
  if (actor.kind === 'staff' || actor.kind === 'system') authorize(actor, action);
}
