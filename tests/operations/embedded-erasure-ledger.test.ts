import { afterAll, describe, expect, it } from 'vitest';
import { erasePatient } from '../../src/domain/data-rights/erase.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { openEmbedded } from '../../src/infra/db/database.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// Issue 21 on the embedded database: the restore applies the recorded erasures again before the restored
// data directory takes the old one's place (on the scratch server that brings the backup up).
describe('an embedded restore applies recorded erasures again', () => {
  const home = makeEmbeddedHome();
  afterAll(() => removeEmbeddedHome(home));

  const withDatabase = async <T>(work: (db: Awaited<ReturnType<typeof openEmbedded>>['db']) => Promise<T>): Promise<T> => {
    const database = await openEmbedded(home);
    try {
      return await work(database.db);
    } finally {
      await database.close();
    }
  };

  it('erases again a patient erased after the backup was made', async () => {
    const env = { ROSHNI_HOME: home };
    const init = await runCli(['init', '--name', 'Sunrise Child Therapy', '--admin', 'anita.admin', '--admin-name', 'Anita Rao', '--password-stdin'], env, {
      input: 'sunrise admin password\n',
    });
    expect(init.code, init.stderr).toBe(0);
    const patient = await withDatabase((db) => addPatient(systemContext(db), { fullName: 'Kavya Menon', dateOfBirth: '2017-02-03', phone: '+919812300011' }));
    const made = await runCli(['backup', 'create', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const backup = JSON.parse(made.stdout);
    const erased = await withDatabase((db) => erasePatient(systemContext(db), { patientId: patient.id, reason: 'Request by the family' }));

    const restored = await runCli(['backup', 'restore', backup.file, '--force', '--json'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout).erasures).toMatchObject({
      recorded: 1,
      reErased: [expect.objectContaining({ patientNumber: erased.patientNumber, erasedBy: 'system' })],
    });
    const after = await withDatabase(async (db) => ({
      patient: await db
        .selectFrom('patients')
        .select(['full_name', 'phone', 'date_of_birth', 'erased_at'])
        .where('id', '=', patient.id)
        .executeTakeFirstOrThrow(),
      ledger: await db.selectFrom('erasure_ledger').select('patient_number').execute(),
    }));
    expect(after.patient).toMatchObject({ full_name: 'Erased patient', phone: null, date_of_birth: null });
    expect(after.patient.erased_at).not.toBeNull();
    expect(after.ledger).toEqual([{ patient_number: erased.patientNumber }]);
  }, 120_000);
});
