import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('roshni login and logout', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-login-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    const ctx = systemContext(database.db);
    await addStaffUser(ctx, { username: 'asha', fullName: 'Asha Rao', role: 'admin' });
    await addStaffUser(ctx, { username: 'ravi', fullName: 'Ravi Kumar', role: 'receptionist' });
  });
  afterEach(async () => {
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('acts as the logged-in user until logout, in a file only its owner can read; ROSHNI_USER wins', async () => {
    const login = await runCli(['login', 'ravi'], env);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('Logged in as ravi (receptionist)');
    expect(statSync(join(home, 'session.json')).mode & 0o777).toBe(0o600);

    expect((await runCli(['audit'], env)).code).toBe(5); // a receptionist may not read the audit log
    expect((await runCli(['audit'], { ...env, ROSHNI_USER: 'asha' })).code).toBe(0);

    expect((await runCli(['logout'], env)).code).toBe(0);
    expect((await runCli(['audit'], env)).code).toBe(0); // the system user again
  });

  it('refuses an unknown or deactivated user and changes nothing', async () => {
    const unknown = await runCli(['login', 'nobody'], env);
    expect(unknown.code).toBe(3);
    expect(() => statSync(join(home, 'session.json'))).toThrow();
  });
});
