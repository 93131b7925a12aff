import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { STAFF_ROLE } from '../../src/infra/db/row-security.js';
import type { DB } from '../../src/infra/db/schema.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';
import { runCli } from '../support/cli.js';
import { databaseUrl, dropDatabase, withServerClient } from '../../src/infra/db/server-admin.js';
import { sessionFor } from '../support/staff-sessions.js';

// A clinic on a managed PostgreSQL, where the tables' owner is no superuser: a DBA created the owner and
// Roshni's three roles once, and `roshni db migrate` did the rest. The clinical tables' row security then
// binds the owner too (FORCE ROW LEVEL SECURITY, migration 0020): the owner's connection reads session
// notes only "at work" (backups, restores), and everything Roshni does with the owner's URL still works.
describe('a clinic whose owner is not a superuser', () => {
  const serverUrl = () => inject('databaseServerUrl');
  const suffix = randomBytes(4).toString('hex');
  const owner = `clinic_owner_${suffix}`;
  const name = `roshni_owned_${suffix}`;
  let ownerUrl: string;
  let home: string;
  let clinic: Awaited<ReturnType<typeof openClinicalClinic>>;
  let asOwner: Database;

  beforeAll(async () => {
    await withServerClient(serverUrl(), async (client) => {
      await client.query(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB`);
      await client.query(`GRANT roshni_app, roshni_staff, roshni_service TO ${owner}`);
      await client.query(`CREATE DATABASE ${name} OWNER ${owner} TEMPLATE template0`);
    });
    const url = new URL(databaseUrl(serverUrl(), name));
    url.username = owner;
    url.password = '';
    ownerUrl = url.toString();
    home = mkdtempSync(join(tmpdir(), 'roshni-owned-'));
    const migrated = await runCli(['db', 'migrate'], { DATABASE_URL: ownerUrl, ROSHNI_HOME: home });
    expect(migrated.code, migrated.stderr).toBe(0);
    // The clinic's people and sessions, written by the server's superuser; notes through the CLI.
    const superuser = await openPostgres(databaseUrl(serverUrl(), name));
    clinic = await openClinicalClinic({ url: databaseUrl(serverUrl(), name), db: superuser.db, close: () => superuser.close() });
    const added = await runCli(['notes', 'add', clinic.appointments.first, '--observations', 'Names the pictures'], {
      DATABASE_URL: ownerUrl,
      ROSHNI_HOME: home,
      ROSHNI_SESSION: await sessionFor(clinic.database.db, 'priya'),
    });
    expect(added.code, added.stderr).toBe(0);
    asOwner = await openPostgres(ownerUrl, { max: 1 });
  });
  afterAll(async () => {
    await asOwner?.close();
    await clinic?.close();
    await dropDatabase(serverUrl(), name);
    await withServerClient(serverUrl(), (client) => client.query(`DROP ROLE IF EXISTS ${owner}`));
    rmSync(home, { recursive: true, force: true });
  });

  const notes = (db: Kysely<DB>) => db.selectFrom('therapy_sessions').select(['id', 'observations']).execute();
  const signedIn = async (username: string) => ({ DATABASE_URL: ownerUrl, ROSHNI_HOME: home, ROSHNI_SESSION: await sessionFor(clinic.database.db, username) });

  it('the owner sees no clinical rows by default, and all of them only at work', async () => {
    const all = await notes(clinic.database.db);
    expect(all.map((n) => n.observations)).toEqual(['Names the pictures']);
    expect(await notes(asOwner.db)).toEqual([]);
    const atWork = await asOwner.db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('roshni.maintenance', 'on', true)`.execute(trx);
      return notes(trx);
    });
    expect(atWork).toEqual(all);
    // The setting opens nothing to a desk computer's role.
    const desk = await asOwner.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL ROLE ${sql.raw(STAFF_ROLE)}`.execute(trx);
      await sql`SELECT set_config('roshni.maintenance', 'on', true)`.execute(trx);
      return notes(trx);
    });
    expect(desk).toEqual([]);
    // Writing is refused the owner as well, not only reading.
    await expect(asOwner.db.updateTable('therapy_sessions').set({ observations: 'changed' }).execute()).resolves.toEqual([
      expect.objectContaining({ numUpdatedRows: 0n }),
    ]);
  });

  it("commands through the owner's URL act as the signed-in member of staff, refusals included", async () => {
    const shown = await runCli(['notes', 'show', clinic.appointments.first], await signedIn('priya'));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Names the pictures');
    // Meera does not treat this patient: refused and audited (whose record it is, answered by the owner's function), not "not found".
    const refused = await runCli(['notes', 'show', clinic.appointments.first], await signedIn('meera'));
    expect(refused.code).toBe(5);
    expect((await clinic.audit('clinical.read')).at(-1)).toMatchObject({ outcome: 'denied', actor_id: expect.any(Number) });
  });

  it('backs up every clinical row, verifies, and restores them', async () => {
    const env = { DATABASE_URL: ownerUrl, ROSHNI_HOME: home };
    const created = await runCli(['backup', 'create', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).tables.therapy_sessions).toBe(1);
    // Verifying restores into a scratch database: this owner may not create one, and is told so.
    const unverifiable = await runCli(['backup', 'verify', 'latest'], env);
    expect(unverifiable.code).toBe(6);
    expect(unverifiable.stderr).toMatch(/may not create databases, and verifying restores the backup into a scratch one: give it CREATEDB/);
    await withServerClient(serverUrl(), (client) => client.query(`ALTER ROLE ${owner} CREATEDB`));
    const verified = await runCli(['backup', 'verify', 'latest', '--json'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    await clinic.database.db.deleteFrom('therapy_sessions').execute();
    await asOwner.close();
    const restored = await runCli(['backup', 'restore', 'latest', '--force'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect((await notes(clinic.database.db)).map((n) => n.observations)).toEqual(['Names the pictures']);
    asOwner = await openPostgres(ownerUrl, { max: 1 });
    expect(await notes(asOwner.db)).toEqual([]);
  });
});
