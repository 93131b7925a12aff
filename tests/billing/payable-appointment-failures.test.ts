import { describe, expect, it } from 'vitest';
import { lockPayableAppointment } from '../../src/domain/billing/payable-appointment.js';
import type { DomainContext } from '../../src/domain/context.js';
import { NotFoundError } from '../../src/domain/errors.js';
import { fixedClock } from '../../src/infra/clock.js';

/**
 * A database whose queries answer in turn: each entry is a row to return, or an error to throw when
 * the query runs. Every builder method returns the same chain, so any query shape reaches it.
 */
function scriptedDb(answers: Array<Record<string, unknown> | undefined | Error>): DomainContext['db'] {
  const run = async () => {
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return next;
  };
  const chain: object = new Proxy({}, { get: (_target, key) => (key === 'executeTakeFirst' ? run : key === 'then' ? undefined : () => chain) });
  return chain as DomainContext['db'];
}

const appointment = {
  id: 7,
  patient_id: 3,
  status: 'scheduled',
  appointment_number: 'APT-7',
  payment_status: 'unpaid',
  policy_fee_paise: null,
  service_name: 'Speech therapy',
};

function guardianCtx(db: DomainContext['db']): DomainContext {
  return { db, clock: fixedClock(new Date('2027-03-01T04:00:00Z')), timezone: 'Asia/Kolkata', actor: { kind: 'guardian', guardianId: 11 } };
}

describe('a guardian asking to pay for an appointment', () => {
  it('is told "no appointment" when the child is not theirs', async () => {
    const ctx = guardianCtx(scriptedDb([appointment, undefined]));
    await expect(lockPayableAppointment(ctx, 7)).rejects.toThrow(new NotFoundError('No appointment with id 7.'));
  });

  it('sees a database failure as one, not as "no appointment"', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const ctx = guardianCtx(scriptedDb([appointment, lost]));
    const failure = await lockPayableAppointment(ctx, 7).catch((error: unknown) => error);
    expect(failure).toBe(lost);
    expect(failure).not.toBeInstanceOf(NotFoundError);
  });
});
