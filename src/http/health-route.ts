import type { Route } from './server.js';

/** GET /health: the process is up and answering. */
export function healthRoute(): Route {
  return {
    method: 'GET',
    path: '/health',
    handle: async () => ({ status: 200, body: { status: 'ok' } }),
  };
}
