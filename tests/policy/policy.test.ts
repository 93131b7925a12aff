import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import { ForbiddenError } from '../../src/domain/errors.js';
import { authorize, isAllowed, type Action, type StaffRoleName } from '../../src/domain/policy.js';

// Who may do what, written out in full. Typed as Record<Action, …>: a new action in the policy does
// not typecheck until it is added here, so every rule is pinned by this table.
const A = 'admin';
const R = 'receptionist';
const T = 'therapist';
const EXPECTED: Record<Action, readonly StaffRoleName[]> = {
  'clinic.configure': [A],
  'staff.manage': [A],
  'staff.read': [A, R],
  'therapist.manage': [A],
  'service.manage': [A],
  'schedule.manage': [A, R],
  'schedule.read': [A, R, T],
  'patient.manage': [A, R],
  'patient.read': [A, R, T],
  'appointment.book': [A, R],
  'appointment.change': [A, R],
  'appointment.attend': [A, R, T],
  'waitlist.manage': [A, R],
  'payment.record': [A, R],
  'payment.refund': [A],
  'payment.waive': [A],
  'billing.read': [A, R],
  'package.manage': [A],
  'package.sell': [A, R],
  'demo.load': [A],
  // The terminal chat acts for a family: the desk and admins, never a therapist.
  'chat.as': [A, R],
  'notification.read': [A, R],
  'notification.manage': [A, R],
  'jobs.run': [A],
  'backup.manage': [A],
  'audit.read': [A],
  'audit.verify': [A],
  'report.read': [A],
  'clinical.read': [A, T],
  'clinical.write': [T],
  'document.read': [A, R, T],
  'document.add': [A, R, T],
  'document.remove': [A, R, T],
  'consent.read': [A, R],
  'consent.manage': [A, R],
  'patient.export': [A],
  'patient.erase': [A],
};

const ROLES: StaffRoleName[] = [A, R, T];
const staff = (role: StaffRoleName): Actor => ({ kind: 'staff', staffUserId: 1, role, therapistId: role === T ? 1 : null });
const cases = (Object.keys(EXPECTED) as Action[]).flatMap((action) => ROLES.map((role) => [role, action, EXPECTED[action].includes(role)] as const));

describe('the policy', () => {
  it.each(cases)('a %s doing %s: allowed %s', (role, action, allowed) => {
    expect(isAllowed(staff(role), action)).toBe(allowed);
    if (allowed) {
      expect(() => authorize(staff(role), action)).not.toThrow();
    } else {
      expect(() => authorize(staff(role), action)).toThrow(ForbiddenError);
      const who = `${role === 'admin' ? 'An' : 'A'} ${role}`;
      const allowedRoles = EXPECTED[action].join(' or ');
      expect(() => authorize(staff(role), action)).toThrow(
        new RegExp(`^${who} may not [a-z' ]+ \\(${action.replace('.', '\\.')}: ${allowedRoles} only\\)\\.$`),
      );
    }
  });

  it.each(Object.keys(EXPECTED) as Action[])('%s: the system may, patients and guardians may not', (action) => {
    expect(isAllowed({ kind: 'system' }, action)).toBe(true);
    expect(isAllowed({ kind: 'patient', patientId: 1 }, action)).toBe(false);
    expect(() => authorize({ kind: 'guardian', guardianId: 1 }, action)).toThrow('This account may not');
  });

  it('every action is allowed to someone on the staff', () => {
    expect(Object.entries(EXPECTED).filter(([, roles]) => roles.length === 0)).toEqual([]);
  });
});
