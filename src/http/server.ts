import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a route answers: a status and a JSON body, and a few words for the log line (never personal data). */
export interface Reply {
  status: number;
  body: unknown;
  log?: string;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handle(request: IncomingMessage): Promise<Reply>;
}

/** An error a route throws to answer with a given status (413 for a body over the limit, say). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface HttpServerOptions {
  host: string;
  port: number;
  routes: Route[];
  /** One line per request: method, path, status, time and the route's note. Bodies are never logged. */
  log?: (line: string) => void;
  /** How long close() lets requests in flight finish before cutting their connections. */
  closeGraceMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, lets requests in flight finish, then closes every connection. */
  close(): Promise<void>;
}

function send(response: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

async function answer(routes: Route[], request: IncomingMessage): Promise<Reply> {
  const path = (request.url ?? '/').split('?')[0];
  const matching = routes.filter((route) => route.path === path);
  if (matching.length === 0) return { status: 404, body: { error: 'not found' } };
  const route = matching.find((r) => r.method === request.method);
  if (!route) return { status: 405, body: { error: `use ${matching.map((r) => r.method).join(' or ')}` } };
  try {
    return await route.handle(request);
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, body: { error: error.message } };
    // The name and code only: a database error's message can quote the values it refused.
    const code = (error as { code?: unknown })?.code;
    const name = error instanceof Error ? error.name : 'unknown';
    return { status: 500, body: { error: 'internal error' }, log: `failed: ${name}${typeof code === 'string' ? ` ${code}` : ''}` };
  }
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  const server = createServer((request, response) => {
    const started = performance.now();
    void answer(options.routes, request).then((reply) => {
      // A body left unread (too large, or not wanted) must not keep the connection alive.
      if (!request.complete) response.setHeader('Connection', 'close');
      send(response, reply);
      const ms = Math.round(performance.now() - started);
      log(`${request.method} ${(request.url ?? '/').split('?')[0]} ${reply.status} ${ms}ms${reply.log ? ` ${reply.log}` : ''}`);
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 5_000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
