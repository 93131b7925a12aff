import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { healthProbes, type DiskSpace } from '../../src/infra/health/health.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const GB = 1024 ** 3;
const roomyDisk = async (): Promise<DiskSpace> => ({ freeBytes: 40 * GB, totalBytes: 100 * GB });

describe('roshni health', () => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  const original = healthProbes.diskSpace;

  beforeEach(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-health-'));
    env = { DATABASE_URL: database.url, ROSHNI_HOME: home };
    healthProbes.diskSpace = roomyDisk;
  });
  afterEach(async () => {
    healthProbes.diskSpace = original;
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function backupFinished(hoursAgo: number, verifiedHoursAgo: number | null) {
    const at = (h: number) => new Date(Date.now() - h * 3_600_000);
    await database.db
      .insertInto('backups')
      .values({ kind: 'daily', state: 'completed', started_at: at(hoursAgo), finished_at: at(hoursAgo), verified_at: verifiedHoursAgo === null ? null : at(verifiedHoursAgo) })
      .execute();
  }

  const check = (report: { checks: Array<{ name: string; status: string }> }, name: string) => report.checks.find((c) => c.name === name)?.status;

  it('is healthy (exit 0) with a fresh, verified backup, and logs the result', async () => {
    await backupFinished(2, 30);
    const { code, stdout } = await runCli(['health', '--json'], env);
    const report = JSON.parse(stdout);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(['database', 'disk', 'backup', 'verified-backup', 'outbox', 'documents']);
    expect(report.status).toBe('healthy');
    expect(code).toBe(0);
    const logged = await database.db.selectFrom('health_checks').selectAll().execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.status).toBe('healthy');
    expect((await runCli(['health'], env)).stdout).toContain('Roshni is healthy');
  });

  it('is degraded (exit 1) when the last backup is older than 26 h', async () => {
    await backupFinished(30, 30);
    const { code, stdout } = await runCli(['health', '--json'], env);
    const report = JSON.parse(stdout);
    expect(check(report, 'backup')).toBe('warn');
    expect(check(report, 'verified-backup')).toBe('ok');
    expect(report.status).toBe('degraded');
    expect(code).toBe(1);
  });

  it('is degraded when no backup was verified in 8 days', async () => {
    await backupFinished(1, 9 * 24);
    const { code, stdout } = await runCli(['health', '--json'], env);
    expect(check(JSON.parse(stdout), 'verified-backup')).toBe('warn');
    expect(code).toBe(1);
  });

  it('is unhealthy (exit 2) when the disk under ROSHNI_HOME is full', async () => {
    await backupFinished(1, 1);
    const seen: string[] = [];
    healthProbes.diskSpace = async (path) => {
      seen.push(path);
      return { freeBytes: 50 * 1024 ** 2, totalBytes: 100 * GB };
    };
    const { code, stdout } = await runCli(['health', '--json'], env);
    const report = JSON.parse(stdout);
    expect(check(report, 'disk')).toBe('fail');
    expect(report.status).toBe('unhealthy');
    expect(code).toBe(2);
    expect(seen).toEqual([home]);
  });

  it('is unhealthy (exit 2) when the database is stopped', async () => {
    const { code, stdout } = await runCli(['health', '--json'], { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    const report = JSON.parse(stdout);
    expect(check(report, 'database')).toBe('fail');
    expect(report.checks.find((c: { name: string }) => c.name === 'database').detail).toContain('unreachable');
    expect(report.status).toBe('unhealthy');
    expect(code).toBe(2);
  });

  it('times each configured external service and reports an unreachable one', async () => {
    await backupFinished(1, 1);
    const { code, stdout } = await runCli(['health', '--json'], { ...env, RESEND_API_KEY: 're_test_123456', RESEND_BASE_URL: 'http://127.0.0.1:1' });
    const report = JSON.parse(stdout);
    const resend = report.checks.find((c: { name: string }) => c.name === 'resend');
    expect(resend.status).toBe('warn');
    expect(resend.detail).toContain('unreachable');
    expect(typeof resend.ms).toBe('number');
    expect(code).toBe(1);
  });
});

describe('GET /health with the full checks', () => {
  it('answers the report with 200 when healthy or degraded and 503 when unhealthy', async () => {
    const { startClinicServer } = await import('../../src/http/clinic-server.js');
    const { checkHealth } = await import('../../src/infra/health/health.js');
    const { loadConfig } = await import('../../src/infra/config.js');
    const { systemClock } = await import('../../src/infra/clock.js');
    const database = await createTestDatabase();
    const home = mkdtempSync(join(tmpdir(), 'roshni-health-http-'));
    const config = loadConfig({ DATABASE_URL: database.url, ROSHNI_HOME: home }, '/nonexistent/.env');
    let down = false;
    const ctx = { db: database.db, clock: systemClock, timezone: 'Asia/Kolkata', actor: { kind: 'system' as const } };
    const server = await startClinicServer({
      ctx,
      host: '127.0.0.1',
      port: 0,
      razorpayWebhookSecrets: [],
      health: () => checkHealth({ config, clock: systemClock, db: down ? { error: new Error('connect ECONNREFUSED') } : database.db, diskSpace: roomyDisk }),
    });
    try {
      const degraded = await fetch(`${server.url}/health`);
      const body = (await degraded.json()) as { status: string; checks: Array<{ name: string }> };
      expect([degraded.status, body.status]).toEqual([200, 'degraded']); // no backup yet
      expect(body.checks.map((c: { name: string }) => c.name)).toContain('backup');
      down = true;
      const unhealthy = await fetch(`${server.url}/health`);
      expect([unhealthy.status, ((await unhealthy.json()) as { status: string }).status]).toEqual([503, 'unhealthy']);
    } finally {
      await server.close();
      await database.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
