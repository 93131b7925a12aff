import type { Route } from './server.js';

/** What GET /health reports when the full checks are wired in (`roshni serve`, `roshni start`). */
export type HealthProbe = () => Promise<{ status: 'healthy' | 'degraded' | 'unhealthy' }>;

/**
 * GET /health: without a probe, the process is up and answering; with one, the same JSON as
 * `roshni health --json`, 200 when healthy or degraded and 503 when unhealthy.
 */
export function healthRoute(probe?: HealthProbe): Route {
  return {
    method: 'GET',
    path: '/health',
    handle: async () => {
      if (!probe) return { status: 200, body: { status: 'ok' } };
      const report = await probe();
      return { status: report.status === 'unhealthy' ? 503 : 200, body: report, log: report.status };
    },
  };
}
