import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startFakeTelegram, type FakeTelegram } from './fake-telegram.js';

// The Bot API failing on demand: a front on 127.0.0.1 before the fake Bot API (fake-telegram.ts).
// 'up' passes every call through to the fake; 'slow' too, after 1.5 s; 'hang' takes a call and never answers; 'error500' and
// 'throttle429' answer as Telegram does when it is in trouble; 'closed' listens on no port at all
// (connection refused), and opening again takes the same port, so the bot's apiRoot stays right.

export type TelegramFault = 'up' | 'slow' | 'hang' | 'error500' | 'throttle429' | 'closed';

export interface FaultyTelegram {
  /** The front's address: give it to the bot as TELEGRAM_API_ROOT. */
  apiRoot: string;
  token: string;
  /** The fake behind the front (what passed through: its calls, its updates). */
  fake: FakeTelegram;
  /** How the front answers from now on; `methods` limits the fault to those Bot API methods. */
  set(fault: TelegramFault, methods?: string[]): Promise<void>;
  /** Every call that reached the front, answered or not (getUpdates too). */
  attempts(method: string): number;
  waitForAttempts(method: string, count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function methodOf(request: IncomingMessage): string {
  return /^\/bot[^/]+\/(\w+)/.exec(request.url ?? '')?.[1] ?? '';
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export async function startFaultyTelegram(initial: TelegramFault = 'up'): Promise<FaultyTelegram> {
  const fake = await startFakeTelegram();
  const inner = new URL(fake.apiRoot);
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let fault: TelegramFault = initial;
  let faultyMethods: string[] | undefined;

  const passThrough = (request: IncomingMessage, response: ServerResponse) => {
    const forwarded = httpRequest(
      { host: inner.hostname, port: inner.port, method: request.method, path: request.url, headers: request.headers },
      (innerResponse) => {
        response.writeHead(innerResponse.statusCode ?? 502, innerResponse.headers);
        innerResponse.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  };

  const server: Server = createServer((request, response) => {
    const method = methodOf(request);
    attempts.set(method, (attempts.get(method) ?? 0) + 1);
    const faulty = fault !== 'up' && (!faultyMethods || faultyMethods.includes(method));
    if (!faulty) return passThrough(request, response);
    if (fault === 'slow') return void setTimeout(() => passThrough(request, response), 1_500);
    request.resume();
    if (fault === 'hang') return;
    if (fault === 'throttle429') {
      return answer(response, 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    }
    answer(response, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const shut = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  await listen(0);
  const { port } = server.address() as AddressInfo;
  if (initial === 'closed') await shut();

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token: fake.token,
    fake,
    async set(next, methods) {
      faultyMethods = methods;
      if (next === 'closed') await shut();
      else if (!server.listening) await listen(port);
      fault = next;
    },
    attempts: (method) => attempts.get(method) ?? 0,
    async waitForAttempts(method, count, timeoutMs = 15_000) {
      for (const deadline = Date.now() + timeoutMs; (attempts.get(method) ?? 0) < count;) {
        if (Date.now() > deadline) throw new Error(`faulty Telegram: expected ${count} ${method} attempt(s), got ${attempts.get(method) ?? 0}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await shut();
      await fake.close();
    },
  };
}
