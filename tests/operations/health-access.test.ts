import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { healthRoute, type HealthProbe } from '../../src/http/health-route.js';
import { startHttpServer, type RunningServer } from '../../src/http/server.js';
import { runCli } from '../support/cli.js';

// GET /health tells anyone ok / degraded / down; the detail (paths, database errors, backup and
// outbox state, bot usernames) needs ROSHNI_HEALTH_TOKEN, or, with no token set, this machine.
const TOKEN = 'b7e1c0d2a9f84e6b3c5d7e9f0a1b2c3d';
const detail = (status: 'healthy' | 'degraded' | 'unhealthy') => ({
  status,
  checks: [
    { name: 'database', status: 'fail', detail: 'connect ECONNREFUSED db.internal:5432' },
    { name: 'documents', status: 'ok', detail: '/srv/roshni/documents' },
  ],
});
const probeOf =
  (status: 'healthy' | 'degraded' | 'unhealthy'): HealthProbe =>
  async () =>
    detail(status);
const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('GET /health: who is told what', () => {
  it('tells a caller from elsewhere one word, with the same HTTP status', async () => {
    for (const [status, word, code] of [
      ['healthy', 'ok', 200],
      ['degraded', 'degraded', 200],
      ['unhealthy', 'down', 503],
    ] as const) {
      const answer = await healthRoute(probeOf(status)).handle(request('203.0.113.7'));
      expect(answer.status).toBe(code);
      expect(answer.body).toEqual({ status: word });
    }
  });

  it('gives this machine the detail when no token is set, unless the request came through a proxy', async () => {
    const route = healthRoute(probeOf('degraded'));
    for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect((await route.handle(request(local))).body).toEqual(detail('degraded'));
    // A reverse proxy on this machine connects from loopback: its forwarding headers give it away; their values are never believed.
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      expect((await route.handle(request('127.0.0.1', { [header]: '127.0.0.1' }))).body).toEqual({ status: 'degraded' });
    }
    expect((await route.handle(request('10.0.0.5', { 'x-forwarded-for': '127.0.0.1' }))).body).toEqual({ status: 'degraded' });
  });

  it('with ROSHNI_HEALTH_TOKEN set, gives the detail to its bearer only, from anywhere', async () => {
    const route = healthRoute(probeOf('unhealthy'), { token: TOKEN });
    expect((await route.handle(request('203.0.113.7', { authorization: `Bearer ${TOKEN}` }))).body).toEqual(detail('unhealthy'));
    expect((await route.handle(request('127.0.0.1'))).body).toEqual({ status: 'down' });
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`, 'Bearer ']) {
      const answer = await route.handle(request('203.0.113.7', { authorization: wrong }));
      expect([answer.status, answer.body]).toEqual([503, { status: 'down' }]);
    }
  });

  describe('over HTTP', () => {
    let server: RunningServer | undefined;
    afterEach(() => server?.close());

    it('answers a request without the token with the status only, and one with it in full', async () => {
      server = await startHttpServer({ host: '127.0.0.1', port: 0, routes: [healthRoute(probeOf('degraded'), { token: TOKEN })] });
      const plain = await fetch(`${server.url}/health`);
      expect([plain.status, await plain.text()]).toEqual([200, '{"status":"degraded"}']);
      const full = await fetch(`${server.url}/health`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(await full.json()).toEqual(detail('degraded'));
    });
  });

  it('takes ROSHNI_HEALTH_TOKEN only long enough, and shows it masked', async () => {
    const short = await runCli(['config', 'show'], { ROSHNI_HEALTH_TOKEN: 'short' });
    expect(short.code).toBe(6);
    expect(short.stderr).toMatch(/ROSHNI_HEALTH_TOKEN must be 24–256/);
    const shown = await runCli(['config', 'show', '--json'], { ROSHNI_HEALTH_TOKEN: TOKEN });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toContain(TOKEN);
    expect(JSON.parse(shown.stdout).ROSHNI_HEALTH_TOKEN).toBe('********');
  });
});
