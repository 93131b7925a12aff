import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPackagePlan, packageBalances, sellPackage } from '../../src/domain/billing/packages.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { chatter, engineFor } from './support.js';

describe('a patient sees their package balance, and only theirs', () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, fixedClock('2026-12-01T02:30:00Z'));
    clinic = await seedClinic(ctx, { patients: 2, days: 2 });
    await addPackagePlan(ctx, { code: 'speech-10', name: 'Ten speech sessions', serviceId: clinic.speechService.id, sessions: 10, pricePaise: 900000 });
    for (const patient of clinic.patients) await sellPackage(ctx, { patientId: patient.id, planCode: 'speech-10', method: 'cash' });
  });
  afterAll(() => database?.close());

  it('shows sessions left under My appointments', async () => {
    const chat = chatter(engineFor(ctx), 'pkg-1', { senderPhone: clinic.patients[0]!.phone! });
    await chat.write('hi');
    await chat.press('My appointments');
    expect(chat.text()).toContain('Patient 001: 10 of 10 sessions left in Ten speech sessions');
    expect(chat.text()).not.toContain('Patient 002');
  });

  it("never lists another patient's package to a patient, whatever filter is asked for", async () => {
    const asPatient = { ...ctx, actor: { kind: 'patient' as const, patientId: clinic.patients[0]!.id } };
    const own = await packageBalances(asPatient, { patientId: clinic.patients[1]!.id });
    expect(own).toEqual([]);
    expect(await packageBalances(asPatient)).toHaveLength(1);
  });
});
