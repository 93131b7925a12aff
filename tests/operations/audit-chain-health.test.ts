import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/domain/audit/record-audit.js';
import { ANCHORS_FILE } from '../../src/infra/audit/anchors.js';
import { fixedClock } from '../../src/infra/clock.js';
import { healthProbes, type DiskSpace } from '../../src/infra/health/health.js';
import { runCli } from '../support/cli.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The health check 'audit-chain' (roshni health, and the health job of roshni start every minute):
// it seals every run and walks the whole chain at most once a day, repeating the last finding in between.

const roomyDisk = async (): Promise<DiskSpace> => ({ freeBytes: 40 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 });

describe('roshni health: the audit chain', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  const original = healthProbes.diskSpace;

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-health-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    healthProbes.diskSpace = roomyDisk;
    for (let i = 0; i < 3; i++) await recordAudit(systemContext(database.db), { action: 'test.entry', entity: 'test', meta: { i } });
  });
  afterEach(async () => {
    healthProbes.diskSpace = original;
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });

  const chainCheck = async (at: string) => {
    const { stdout } = await runCli(['health', '--json'], env, { clock: fixedClock(at) });
    return (JSON.parse(stdout) as { checks: Array<{ name: string; status: string; detail: string; verifiedAt?: string }> }).checks.find(
      (c) => c.name === 'audit-chain',
    )!;
  };

  it('verifies at most daily, seals every run, and turns unhealthy with the first broken link', async () => {
    const first = await chainCheck('2026-12-07T03:00:00Z');
    expect(first).toMatchObject({ status: 'ok', verifiedAt: '2026-12-07T03:00:00.000Z' });
    expect(first.detail).toMatch(/^intact: \d+ entries, head at position \d+/);
    expect(existsSync(join(home, 'backups', ANCHORS_FILE))).toBe(true);

    // Tampered with an hour later: the check repeats the morning's finding until a day has passed…
    await recordAudit(systemContext(database.db), { action: 'test.later', entity: 'test' });
    await database.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(trx);
      await sql`UPDATE audit_log SET meta = '{"i": 7}' WHERE chain_position = 2`.execute(trx);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(trx);
    });
    expect(await chainCheck('2026-12-07T04:00:00Z')).toMatchObject({ status: 'ok', verifiedAt: '2026-12-07T03:00:00.000Z' });
    // …though every run seals what was written since.
    const unsealed = await database.db.selectFrom('audit_log').select('id').where('chain_position', 'is', null).execute();
    expect(unsealed).toEqual([]);

    // A day later it walks the chain again, and finds the edit.
    const next = await chainCheck('2026-12-08T03:30:00Z');
    expect(next).toMatchObject({ status: 'fail', verifiedAt: '2026-12-08T03:30:00.000Z' });
    expect(next.detail).toContain('broken at position 2 (edited)');
    const { code } = await runCli(['health'], env, { clock: fixedClock('2026-12-08T03:31:00Z') });
    expect(code).toBe(2);
  });
});
