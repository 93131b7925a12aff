import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { checkHealth, healthProbes, type DiskSpace } from '../../src/infra/health/health.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeFast2Sms } from '../support/fake-fast2sms.js';
import { startFakeTelegram } from '../support/fake-telegram.js';

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
      .values({
        kind: 'daily',
        state: 'completed',
        started_at: at(hoursAgo),
        finished_at: at(hoursAgo),
        verified_at: verifiedHoursAgo === null ? null : at(verifiedHoursAgo),
      })
      .execute();
  }

  const check = (report: { checks: Array<{ name: string; status: string }> }, name: string) => report.checks.find((c) => c.name === name)?.status;

  it('is healthy (exit 0) with a fresh, verified backup, and logs the result', async () => {
    await backupFinished(2, 30);
    const { code, stdout } = await runCli(['health', '--json'], env);
    const report = JSON.parse(stdout);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual([
      'database',
      'disk',
      'backup',
      'backup-clock',
      'backup-retention',
      'verified-backup',
      'outbox',
      'audit-chain',
      'documents',
      'file-modes',
    ]);
    expect(report.status).toBe('healthy');
    expect(code).toBe(0);
    const logged = await database.db.selectFrom('health_checks').selectAll().execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.status).toBe('healthy');
    expect((await runCli(['health'], env)).stdout).toContain('Roshni is healthy');
  });

  it('warns (exit 1) about backups or documents that the group or others may read, naming the path and the mode it should have', async () => {
    await backupFinished(2, 30);
    const backups = join(home, 'backups');
    mkdirSync(backups, { mode: 0o700 });
    writeFileSync(join(backups, 'roshni-manual-20261101T000000Z.backup'), 'x', { mode: 0o600 });
    expect(check(JSON.parse((await runCli(['health', '--json'], env)).stdout), 'file-modes')).toBe('ok');

    chmodSync(join(backups, 'roshni-manual-20261101T000000Z.backup'), 0o644);
    const { code, stdout } = await runCli(['health', '--json'], env);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).checks.find((c: { name: string }) => c.name === 'file-modes')).toMatchObject({
      status: 'warn',
      detail: `${join(backups, 'roshni-manual-20261101T000000Z.backup')} (the backups, a file) is 0644, should be 0600: \`chmod -R go= ${join(backups, 'roshni-manual-20261101T000000Z.backup')}\``,
    });

    chmodSync(home, 0o755); // a home made by hand
    const home755 = JSON.parse((await runCli(['health', '--json'], env)).stdout).checks.find((c: { name: string }) => c.name === 'file-modes');
    expect(home755.detail).toMatch(new RegExp(`^${home} \\(ROSHNI_HOME, a directory\\) is 0755, should be 0700 \\(and 1 more\\)`));
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

  it('is degraded when messages wait in the outbox past their time or have failed, and says where to look', async () => {
    await backupFinished(1, 1);
    const [staff] = await database.db.insertInto('staff_users').values({ username: 'desk', full_name: 'Desk', role: 'receptionist' }).returning('id').execute();
    const message = (key: string, minutesAgo: number, state: 'pending' | 'failed' | 'sent') => ({
      idempotency_key: key,
      kind: 'staff_alert',
      staff_user_id: staff!.id,
      state,
      due_at: new Date(Date.now() - minutesAgo * 60_000),
    });
    await database.db
      .insertInto('notifications')
      .values([message('due-now', 5, 'pending'), message('sent', 60, 'sent')])
      .execute();
    const onTime = JSON.parse((await runCli(['health', '--json'], env)).stdout);
    expect(onTime.checks.find((c: { name: string }) => c.name === 'outbox')).toMatchObject({
      status: 'ok',
      detail: '0 message(s) more than 15 min late, 0 failed',
    });

    await database.db
      .insertInto('notifications')
      .values([message('late-1', 20, 'pending'), message('late-2', 90, 'pending'), message('failed', 60, 'failed')])
      .execute();
    const { code, stdout } = await runCli(['health', '--json'], env);
    const report = JSON.parse(stdout);
    expect(report.checks.find((c: { name: string }) => c.name === 'outbox')).toMatchObject({
      status: 'warn',
      detail: '2 message(s) more than 15 min late (they go out while `roshni start` runs), 1 failed (`roshni notifications list --failed`)',
    });
    expect(report.status).toBe('degraded');
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

describe("roshni health: the external services' credentials", () => {
  /** Resend's GET /domains as the service answers it: a sending-only key is valid but may not list domains. */
  async function fakeResendDomains() {
    const server = createServer((request, response) => {
      const key = request.headers.authorization;
      const [status, body] =
        key === 'Bearer re_full_access_key'
          ? [200, { data: [] }]
          : key === 'Bearer re_sending_only_key'
            ? [401, { statusCode: 401, name: 'restricted_api_key', message: 'This API key is restricted to only send emails.' }]
            : [403, { statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid.' }];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('Telegram getMe, Resend and Fast2SMS keys: accepted ones are ok (a sending-only Resend key too), refused ones warn, each timed', async () => {
    const [telegram, resend, sms] = await Promise.all([startFakeTelegram(), fakeResendDomains(), startFakeFast2Sms('fast2sms-right-key')]);
    const home = mkdtempSync(join(tmpdir(), 'roshni-health-services-'));
    const run = async (env: Record<string, string>) => {
      const config = loadConfig({ ROSHNI_HOME: home, ...env }, '/nonexistent/.env');
      const report = await checkHealth({ config, clock: systemClock, db: { error: new Error('not needed here') }, diskSpace: roomyDisk });
      return Object.fromEntries(report.checks.filter((c) => ['telegram', 'resend', 'fast2sms'].includes(c.name)).map((c) => [c.name, c]));
    };
    try {
      const good = await run({
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        RESEND_API_KEY: 're_sending_only_key',
        RESEND_BASE_URL: resend.baseUrl,
        FAST2SMS_API_KEY: 'fast2sms-right-key',
        FAST2SMS_BASE_URL: sms.baseUrl,
      });
      expect(Object.fromEntries(Object.entries(good).map(([name, c]) => [name, c.status]))).toEqual({ telegram: 'ok', resend: 'ok', fast2sms: 'ok' });
      expect(good.telegram!.detail).toContain('@roshni_clinic_bot');
      expect(good.resend!.detail).toContain('sending-only');
      expect(Object.values(good).every((c) => typeof c.ms === 'number')).toBe(true);
      expect((await run({ RESEND_API_KEY: 're_full_access_key', RESEND_BASE_URL: resend.baseUrl })).resend!.status).toBe('ok');

      const bad = await run({
        TELEGRAM_BOT_TOKEN: '123456:WRONG-token-for-roshni-tests-000',
        TELEGRAM_API_ROOT: telegram.apiRoot,
        RESEND_API_KEY: 're_revoked_key',
        RESEND_BASE_URL: resend.baseUrl,
        FAST2SMS_API_KEY: 'fast2sms-wrong-key',
        FAST2SMS_BASE_URL: sms.baseUrl,
      });
      for (const name of ['telegram', 'resend', 'fast2sms']) {
        expect(bad[name]!.status, name).toBe('warn');
        expect(bad[name]!.detail, name).toContain('credentials refused');
      }
      // A secret is never part of what is reported.
      expect(JSON.stringify(bad)).not.toMatch(/WRONG-token|re_revoked_key|fast2sms-wrong-key/);
    } finally {
      await Promise.all([telegram.close(), resend.close(), sms.close()]);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("WhatsApp: the running client's session state under roshni start, else whether a session is saved", async () => {
    const home = mkdtempSync(join(tmpdir(), 'roshni-health-whatsapp-'));
    const config = loadConfig({ ROSHNI_HOME: home, WHATSAPP_ENABLED: 'true' }, '/nonexistent/.env');
    const whatsapp = async (deps: { whatsappState?: () => Promise<string | null> } = {}) =>
      (await checkHealth({ config, clock: systemClock, db: { error: new Error('not needed here') }, diskSpace: roomyDisk, ...deps })).checks.find(
        (c) => c.name === 'whatsapp',
      );
    try {
      expect(await whatsapp()).toMatchObject({ status: 'warn', detail: expect.stringContaining('no WhatsApp session') });
      mkdirSync(join(home, 'whatsapp', 'session-roshni'), { recursive: true });
      expect(await whatsapp()).toMatchObject({ status: 'ok', detail: expect.stringContaining('a session is saved') });
      expect(await whatsapp({ whatsappState: async () => 'CONNECTED' })).toMatchObject({ status: 'ok', detail: 'session CONNECTED' });
      expect(await whatsapp({ whatsappState: async () => 'UNPAIRED' })).toMatchObject({ status: 'warn', detail: expect.stringContaining('UNPAIRED') });
      expect(await whatsapp({ whatsappState: () => Promise.reject(new Error('Target closed')) })).toMatchObject({ status: 'warn' });
      const off = loadConfig({ ROSHNI_HOME: home }, '/nonexistent/.env');
      const report = await checkHealth({ config: off, clock: systemClock, db: { error: new Error('x') }, diskSpace: roomyDisk });
      expect(report.checks.map((c) => c.name)).not.toContain('whatsapp');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
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
