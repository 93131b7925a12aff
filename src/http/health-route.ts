import { mayReadHealthDetail, type HealthAccess } from './health-access.js';
import type { Route } from './server.js';

/** What GET /health reports when the full checks are wired in (`roshni serve`, `roshni start`). */
export type HealthProbe = () => Promise<{ status: 'healthy' | 'degraded' | 'unhealthy' }>;

/** What anyone may be told: one word. */
const SUMMARY = { healthy: 'ok', degraded: 'degraded', unhealthy: 'down' } as const;

/**
 * GET /health: without a probe, the process is up and answering; with one, 200 when healthy or
 * degraded and 503 when unhealthy, with `{"status":"ok"|"degraded"|"down"}` for anyone and the
 * same JSON as `roshni health --json` for those `access` lets read it (health-access.ts).
 */
export function healthRoute(probe?: HealthProbe, access: HealthAccess = {}): Route {
  return {
    method: 'GET',
    path: '/health',
    handle: async (request) => {
      if (!probe) return { status: 200, body: { status: 'ok' } };
      const report = await probe();
      const status = report.status === 'unhealthy' ? 503 : 200;
      if (!mayReadHealthDetail(request, access)) return { status, body: { status: SUMMARY[report.status] }, log: `${report.status} (summary)` };
      return { status, body: report, log: report.status };
    },
  };
}
