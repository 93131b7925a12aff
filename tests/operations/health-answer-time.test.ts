import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClinicServer } from '../../src/http/clinic-server.js';
import { fixedClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import type { DB } from '../../src/infra/db/schema.js';
import { healthProbe } from '../../src/infra/health/health.js';
import { startFaultyTelegram, type FaultyTelegram } from '../support/faulty-telegram.js';

// GET /health answers within a second whatever is down (it waits 0.7 s at most for its checks; the
// bounds below leave room for a loaded machine, while an answer held by a hung check would never come): a database that takes the connection and
// never answers, and a Bot API that never answers, are reported as not answering, not waited for;
// a slow service is shown by its last result meanwhile, not as an alarm.

describe('GET /health when what it checks hangs', () => {
  let silentDatabase: Server;
  const sockets = new Set<Socket>();
  let telegram: FaultyTelegram;
  let home: string;

  beforeAll(async () => {
    silentDatabase = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silentDatabase.listen(0, '127.0.0.1', resolve));
    telegram = await startFaultyTelegram('hang');
    home = mkdtempSync(join(tmpdir(), 'roshni-health-hangs-'));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silentDatabase?.close(resolve));
    await telegram?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('answers at once: the database fails as not answering, Telegram is a warning', async () => {
    const { port } = silentDatabase.address() as AddressInfo;
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: `postgres://roshni@127.0.0.1:${port}/roshni` }) }) });
    const config = loadConfig({ ROSHNI_HOME: home, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot }, '/nonexistent/.env');
    const clock = fixedClock('2026-12-01T06:30:00Z');
    const ctx = { db, clock, timezone: 'Asia/Kolkata', actor: { kind: 'system' as const } };
    const server = await startClinicServer({ ctx, host: '127.0.0.1', port: 0, razorpayWebhookSecrets: [], health: healthProbe({ config, clock, db }) });
    try {
      const began = performance.now();
      const response = await fetch(`${server.url}/health`);
      const report = (await response.json()) as { status: string; checks: Array<{ name: string; status: string; detail: string }> };
      const ms = performance.now() - began;
      expect(ms).toBeLessThan(2_000);
      expect([response.status, report.status]).toEqual([503, 'unhealthy']);
      const check = (name: string) => report.checks.find((c) => c.name === name);
      expect(check('database')).toMatchObject({ status: 'fail', detail: 'no answer yet within 0.7 s (still checking)' });
      expect(check('telegram')).toMatchObject({ status: 'warn' });
      expect(JSON.stringify(report)).not.toContain(telegram.token);
    } finally {
      await server.close();
      for (const socket of sockets) socket.destroy();
      await db.destroy().catch(() => {});
    }
  });

  it('shows a slow service by its last result while it is checked again, promptly each time', async () => {
    await telegram.set('slow');
    const config = loadConfig({ ROSHNI_HOME: home, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot }, '/nonexistent/.env');
    const clock = fixedClock('2026-12-01T06:30:00Z');
    const probe = healthProbe({ config, clock, db: { error: new Error('not needed here') } }, { maxAgeMs: 0 });
    const timedProbe = async () => {
      const began = performance.now();
      const report = await probe();
      expect(performance.now() - began).toBeLessThan(2_000);
      return report.checks.find((c) => c.name === 'telegram')!;
    };
    try {
      expect(await timedProbe()).toMatchObject({ status: 'warn', detail: 'no answer yet within 0.7 s (still checking)' });
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // the slow answer arrives meanwhile
      expect(await timedProbe()).toMatchObject({
        status: 'ok',
        detail: `bot @roshni_clinic_bot answering (as of ${clock.now().toISOString()}; being checked again)`,
      });
    } finally {
      await telegram.set('hang');
    }
  });
});
