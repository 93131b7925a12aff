import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import { setStaffPassword } from '../../src/domain/access/staff-passwords.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

// Where patients' money goes (the UPI id and payee name) is changed by an admin with `roshni init`: the
// audit keeps it before and after, and every active admin is told, in case it was not one of them.
describe('a change of where the money goes', () => {
  let database: TestDatabase;
  let as: (username: string) => Promise<Record<string, string>>;
  const ids: Record<string, number> = {};

  beforeEach(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db);
    await saveClinicSettings(ctx, { name: 'Sunrise Child Therapy', upiVpa: 'sunrise@okaxis', upiPayeeName: 'Sunrise Child Therapy' });
    for (const [username, role] of [
      ['anita.admin', 'admin'],
      ['ravi.admin', 'admin'],
      ['old.admin', 'admin'],
      ['farhan.desk', 'receptionist'],
    ] as const) {
      ids[username] = (await addStaffUser(ctx, { username, fullName: `Staff ${username}`, role })).id;
    }
    await database.db.updateTable('staff_users').set({ active: false }).where('username', '=', 'old.admin').execute();
    await setStaffPassword(ctx, { username: 'anita.admin', password: 'correct horse battery' }); // the clinic is set up
    as = staffEnvironments(database.db, { DATABASE_URL: database.url });
  });
  afterEach(() => database?.close());

  const alerts = () =>
    database.db
      .selectFrom('notifications')
      .select(['staff_user_id', 'idempotency_key', 'payload'])
      .where('kind', '=', 'admin_alert')
      .orderBy('staff_user_id')
      .execute();
  const settings = () => database.db.selectFrom('clinic_settings').select(['upi_vpa', 'upi_payee_name']).executeTakeFirstOrThrow();

  it('is audited with the UPI id and payee name before and after, and told to every active admin', async () => {
    const run = await runCli(['init', '--upi-vpa', 'sunrise.new@okicici', '--upi-payee-name', 'Sunrise Therapy LLP'], await as('anita.admin'));
    expect(run.code, run.stderr).toBe(0);
    expect(await settings()).toEqual({ upi_vpa: 'sunrise.new@okicici', upi_payee_name: 'Sunrise Therapy LLP' });

    const entry = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'clinic.update').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      actor_kind: 'staff',
      actor_id: ids['anita.admin'],
      before: { upiVpa: 'sunrise@okaxis', upiPayeeName: 'Sunrise Child Therapy' },
      after: { upiVpa: 'sunrise.new@okicici', upiPayeeName: 'Sunrise Therapy LLP' },
    });

    const sent = await alerts();
    expect(sent.map((a) => a.staff_user_id)).toEqual([ids['anita.admin'], ids['ravi.admin']]); // not the deactivated admin
    for (const alert of sent) {
      expect(alert.idempotency_key).toBe(`clinic-payee:${entry.id}:${alert.staff_user_id}`);
      expect(alert.payload).toMatchObject({ about: 'payee_changed', auditId: Number(entry.id) });
      expect((alert.payload as { text: string }).text).toContain('UPI id sunrise@okaxis → sunrise.new@okicici');
      expect((alert.payload as { text: string }).text).not.toMatch(/Staff anita/); // ids, not names
    }
  });

  it('says nothing to the admins when the payee stays the same, or when only other settings change', async () => {
    expect((await runCli(['init', '--upi-vpa', 'sunrise@okaxis'], await as('anita.admin'))).code).toBe(0);
    expect((await runCli(['init', '--phone', '98765 43210'], await as('anita.admin'))).code).toBe(0);
    expect(await alerts()).toEqual([]);
    const entries = await database.db.selectFrom('audit_log').select(['before', 'after']).where('action', '=', 'clinic.update').orderBy('id').execute();
    expect(entries).toEqual([
      { before: { upiVpa: 'sunrise@okaxis' }, after: { upiVpa: 'sunrise@okaxis' } },
      { before: null, after: null },
    ]);
  });

  it('a receptionist may not change it: refused, and nothing changes', async () => {
    const run = await runCli(['init', '--upi-vpa', 'someone.else@okaxis'], await as('farhan.desk'));
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toMatch(/receptionist may not/);
    expect(await settings()).toEqual({ upi_vpa: 'sunrise@okaxis', upi_payee_name: 'Sunrise Child Therapy' });
    expect(await alerts()).toEqual([]);
    expect(await database.db.selectFrom('audit_log').select('id').where('action', '=', 'clinic.update').execute()).toEqual([]);
  });
});
