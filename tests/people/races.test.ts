import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainContext } from '../../src/domain/context.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { deactivateStaffUser, findStaffUserByUsername } from '../../src/domain/people/staff.js';
import { systemClock } from '../../src/infra/clock.js';
import { ADMIN, openTestClinic, type TestClinic } from './clinic.js';

// Two people at two terminals doing the same thing at the same moment. The first change is held
// open in its transaction while the second starts, so the second must wait for it and then see it.
describe('people changes raced from two terminals', () => {
  let clinic: TestClinic;
  let as: (username: string) => Promise<DomainContext>;
  beforeAll(async () => {
    clinic = await openTestClinic();
    await clinic.addStaff('ravi.admin', 'Ravi Kumar', 'admin');
    await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist');
    const { db } = clinic.database;
    as = async (username) => {
      const user = (await findStaffUserByUsername({ db } as DomainContext, username))!;
      const actor = { kind: 'staff' as const, staffUserId: user.id, role: user.role, therapistId: null };
      return { db, clock: systemClock, timezone: 'Asia/Kolkata', actor };
    };
  });
  afterAll(() => clinic?.close());

  /** Runs `first` in a transaction kept open until `second` has started and had time to reach the database. */
  async function race<A, B>(first: (tx: DomainContext) => Promise<A>, second: () => Promise<B>, ctx: DomainContext) {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let done!: () => void;
    const firstDone = new Promise<void>((resolve) => (done = resolve));
    const firstResult = ctx.db.transaction().execute(async (trx) => {
      const result = await first({ ...ctx, db: trx });
      done();
      await held;
      return result;
    });
    await firstDone;
    const secondResult = second().then(
      (value) => ({ ok: true as const, value }),
      (error: Error) => ({ ok: false as const, error }),
    );
    await sleep(300);
    release();
    return { first: await firstResult, second: await secondResult };
  }

  it('two admins deactivating each other leave one active admin', async () => {
    const [anita, ravi] = [await as(ADMIN), await as('ravi.admin')];
    const { second } = await race(
      (tx) => deactivateStaffUser(tx, { username: 'ravi.admin' }),
      () => deactivateStaffUser(ravi, { username: ADMIN }),
      anita,
    );
    expect(second.ok).toBe(false);
    expect(!second.ok && second.error.message).toBe(`${ADMIN} is the last active admin; add another admin before deactivating them.`);
    const admins = await clinic.database.db.selectFrom('staff_users').select('username').where('role', '=', 'admin').where('active', '=', true);
    expect(await admins.execute()).toEqual([{ username: ADMIN }]);
  });

  it('two receptionists registering the same child at once register one patient', async () => {
    const desk = await as('farhan.desk');
    const ishaan = { fullName: 'Ishaan Rao', dateOfBirth: '2020-06-01' };
    const { second } = await race(
      (tx) => addPatient(tx, ishaan),
      () => addPatient(desk, ishaan),
      desk,
    );
    expect(!second.ok && second.error.message).toContain('P-00001 Ishaan Rao (born 2020-06-01): same name and date of birth');
    expect(await clinic.database.db.selectFrom('patients').select('patient_number').execute()).toEqual([{ patient_number: 'P-00001' }]);
  });
});
