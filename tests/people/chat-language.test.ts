import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../src/domain/errors.js';
import { setPreferredLanguage } from '../../src/domain/people/chat-language.js';
import { fixedClock } from '../../src/infra/clock.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A chat's "language" choice becomes the person's preferred language: reminders follow it. Only the
// person (or the desk) may change it, and each change is in the audit log.
describe("a patient's language chosen in a chat", () => {
  let database: TestDatabase;
  let ctx: ReturnType<typeof systemContext>;
  let patientIds: number[];

  beforeEach(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db, fixedClock('2026-12-01T04:30:00Z'));
    const clinic = await seedClinic(ctx, { patients: 2, days: 1 });
    patientIds = clinic.patients.map((p) => p.id);
  });
  afterEach(() => database?.close());

  const languageOf = async (id: number) =>
    (await database.db.selectFrom('patients').select('preferred_language').where('id', '=', id).executeTakeFirstOrThrow()).preferred_language;
  const languageAudits = () =>
    database.db.selectFrom('audit_log').select(['actor_kind', 'entity_id', 'before', 'after']).where('action', '=', 'language.set').execute();

  it('is saved and audited when the patient picks Hindi, and picking it again changes nothing', async () => {
    const [own] = patientIds as [number];
    const asPatient = { ...ctx, actor: { kind: 'patient' as const, patientId: own } };
    await setPreferredLanguage(asPatient, { kind: 'patient', patientId: own, name: '' }, 'hi');
    await setPreferredLanguage(asPatient, { kind: 'patient', patientId: own, name: '' }, 'hi');
    expect(await languageOf(own)).toBe('hi');
    expect(await languageAudits()).toEqual([{ actor_kind: 'patient', entity_id: String(own), before: { language: 'en' }, after: { language: 'hi' } }]);
  });

  it("is refused for someone else's record, and nothing changes", async () => {
    const [own, other] = patientIds as [number, number];
    const asPatient = { ...ctx, actor: { kind: 'patient' as const, patientId: own } };
    await expect(setPreferredLanguage(asPatient, { kind: 'patient', patientId: other, name: '' }, 'hi')).rejects.toBeInstanceOf(ForbiddenError);
    expect(await languageOf(other)).toBe('en');
    expect(await languageAudits()).toEqual([]);
  });
});
