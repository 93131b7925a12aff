import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libpqEnv, startPgDump } from '../../src/infra/backup/pg-tools.js';
import { describeConfig, loadConfig } from '../../src/infra/config.js';
import { maskUrlPassword } from '../../src/infra/db/connection-url.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// A password in DATABASE_URL, as `user:password@` or as a `?password=` (or `sslpassword`) query
// parameter, is masked wherever the URL is shown and kept off child processes' command lines.
const SECRET = 'hunter2-Secret';
const forms = [
  `postgres://owner@db.example:5432/clinic?password=${SECRET}&sslmode=require`,
  `postgres://owner@db.example/clinic?sslmode=require&pass%77ord=${SECRET}`,
  `postgres://owner@db.example/clinic?sslpassword=${SECRET}`,
  `postgres://owner:${SECRET}@db.example/clinic`,
  `postgres://owner:${encodeURIComponent(`${SECRET}@/?`)}@db.example/clinic?PASSWORD=${SECRET}`,
];

describe('the secrets of a DATABASE_URL', () => {
  let database: TestDatabase;
  let work: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    work = mkdtempSync(join(tmpdir(), 'roshni-url-secrets-'));
  });
  afterAll(async () => {
    await database?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('are masked in every form, the rest of the URL kept', () => {
    for (const url of forms) {
      const masked = maskUrlPassword(url);
      expect(masked, url).not.toContain(SECRET);
      expect(masked).toContain('db.example');
      expect(describeConfig(loadConfig({ DATABASE_URL: url }, '/nonexistent/.env')).DATABASE_URL).toBe(masked);
    }
    expect(maskUrlPassword(forms[0]!)).toBe('postgres://owner@db.example:5432/clinic?password=********&sslmode=require');
  });

  it('never reach `roshni config show`', async () => {
    for (const url of forms) {
      const shown = await runCli(['config', 'show'], { DATABASE_URL: url });
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout + shown.stderr).not.toContain(SECRET);
    }
  });

  it('never reach `roshni db status`, connected or not (with --debug too)', async () => {
    const url = new URL(database.url);
    url.searchParams.set('password', SECRET); // the test server trusts the connection: the password is carried, not needed
    const status = await runCli(['db', 'status'], { DATABASE_URL: url.toString() });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('password=********');
    expect(status.stdout + status.stderr).not.toContain(SECRET);
    const json = await runCli(['db', 'status', '--json'], { DATABASE_URL: url.toString() });
    expect(json.stdout).not.toContain(SECRET);

    for (const unreachable of [
      `postgres://owner@127.0.0.1:1/clinic?password=${SECRET}`,
      `postgres://owner:${SECRET}@127.0.0.1:1/clinic?sslpassword=${SECRET}`,
    ]) {
      const failed = await runCli(['db', 'status', '--debug'], { DATABASE_URL: unreachable });
      expect(failed.code).toBe(7);
      expect(failed.stderr).toMatch(/Cannot reach the database/);
      expect(failed.stdout + failed.stderr).not.toContain(SECRET);
    }
  });

  it("put the password in pg_dump's environment, never on its command line; an sslpassword is refused", async () => {
    for (const url of forms.filter((u) => !u.includes('sslpassword'))) {
      const { dbname, env } = libpqEnv(url);
      expect(dbname, url).not.toContain(SECRET);
      expect(dbname).toMatch(/^postgres:\/\/owner@db\.example(:5432)?\/clinic/);
      expect(env.PGPASSWORD).toMatch(new RegExp(`^${SECRET}`));
    }
    // libpq's parameter names are lower case: a `PASSWORD` is no password, but is masked and dropped all the same.
    expect(libpqEnv(forms[4]!).env.PGPASSWORD).toBe(`${SECRET}@/?`);
    expect(libpqEnv(forms[0]!).dbname).toBe('postgres://owner@db.example:5432/clinic?sslmode=require');
    expect(() => libpqEnv(forms[2]!)).toThrow(/sslpassword.*command line/);

    // A stand-in pg_dump that writes down how it was called.
    const seen = join(work, 'seen');
    const fake = join(work, 'pg_dump');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > ${seen}\nprintf 'PGPASSWORD=%s\\n' "$PGPASSWORD" >> ${seen}\n`);
    chmodSync(fake, 0o755);
    const dump = startPgDump(fake, forms[0]!, '00000003-00000002-1');
    dump.output.resume();
    await dump.done;
    const called = readFileSync(seen, 'utf8');
    expect(called).toContain('--dbname=postgres://owner@db.example:5432/clinic?sslmode=require\n');
    expect(called.replace(`PGPASSWORD=${SECRET}`, '')).not.toContain(SECRET);
  });
});
