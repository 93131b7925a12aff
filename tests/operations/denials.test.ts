import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditingDenials } from '../../src/domain/audit/denials.js';
import { recordAudit } from '../../src/domain/audit/record-audit.js';
import { inTransaction, type DomainContext } from '../../src/domain/context.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { authorize } from '../../src/domain/policy.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';

// "Denied actions are clear errors and are audited": each refusal leaves exactly one entry, written
// after the refused action's transaction has rolled back.
describe('refused actions are audited', () => {
  let database: TestDatabase;
  let as: (username: string) => Promise<Record<string, string>>;
  let ravi: number;
  let appointment: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    as = staffEnvironments(database.db, { DATABASE_URL: database.url });
    const ctx = systemContext(database.db);
    await seedClinic(ctx, { days: 3 });
    ravi = (await addStaffUser(ctx, { username: 'ravi', fullName: 'Ravi Kumar', role: 'receptionist' })).id;
    await addStaffUser(ctx, { username: 'anita.admin', fullName: 'Anita Rao', role: 'admin' });
    const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
    const booked = await runCli(
      ['book', '--patient', 'Patient 001', '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${tomorrow} 10:00`, '--json'],
      await as('anita.admin'),
    );
    expect(booked.code, booked.stderr).toBe(0);
    appointment = JSON.parse(booked.stdout).appointmentNumber;
  });
  afterAll(() => database?.close());

  const denied = () => database.db.selectFrom('audit_log').selectAll().where('outcome', '=', 'denied').orderBy('id').execute();

  it('a receptionist waiving a charge: exit 5, one line, and one denied entry naming who, the action and the command', async () => {
    const before = (await denied()).length;
    const refused = await runCli(['waive', appointment, '--reason', 'Goodwill'], await as('ravi'));
    expect(refused.code).toBe(5);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const entries = (await denied()).slice(before);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor_kind: 'staff',
      actor_id: ravi,
      actor_role: 'receptionist',
      action: 'payment.waive',
      entity: 'policy',
      outcome: 'denied',
      meta: { command: 'waive' },
    });
    // Nothing else was written: the charge stands.
    const row = await database.db.selectFrom('appointments').select('payment_status').where('appointment_number', '=', appointment).executeTakeFirstOrThrow();
    expect(row.payment_status).not.toBe('waived');
  });

  it('a refusal already audited where it happened (clinical records) is not audited twice', async () => {
    const before = (await denied()).length;
    const refused = await runCli(['notes', 'show', appointment], await as('ravi'));
    expect(refused.code).toBe(5);
    const entries = (await denied()).slice(before);
    expect(entries.map((e) => e.action)).toEqual(['clinical.read']);
  });

  it('a refusal inside a transaction: the transaction rolls back, the denied entry stays', async () => {
    const ctx: DomainContext = {
      db: database.db,
      clock: fixedClock('2031-03-04T04:00:00Z'),
      timezone: 'Asia/Kolkata',
      actor: { kind: 'staff', staffUserId: ravi, role: 'receptionist', therapistId: null },
    };
    const before = (await denied()).length;
    await expect(
      auditingDenials(ctx, () =>
        inTransaction(ctx, async (tx) => {
          await recordAudit(tx, { action: 'test.half_done', entity: 'test' });
          authorize(tx.actor, 'payment.refund');
        }),
      ),
    ).rejects.toThrow('may not refund payments (payment.refund: admin only).');
    expect(await database.db.selectFrom('audit_log').select('id').where('action', '=', 'test.half_done').execute()).toEqual([]);
    expect((await denied()).slice(before).map((e) => [e.action, e.actor_id])).toEqual([['payment.refund', ravi]]);
  });
});
