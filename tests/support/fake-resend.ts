import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults } from './faults.js';

// A fake Resend API on 127.0.0.1 for the real SDK (RESEND_BASE_URL / baseUrl): records each email
// with its Idempotency-Key, answers a repeated key with the first email's id, and can fail or
// misbehave (hang, drop the connection, lose its answer: see faults.ts).

export interface FakeResend {
  baseUrl: string;
  emails: Array<{ idempotencyKey: string | undefined; body: Record<string, unknown> }>;
  /** How many sends arrived with each Idempotency-Key, repeats included (a key seen twice was sent twice). */
  sendsByKey: Map<string, number>;
  faults: Faults;
  /** The next `count` sends answer with this status and Resend error name. */
  failNext(count: number, statusCode: number, name: string): void;
  close(): Promise<void>;
}

export async function startFakeResend(): Promise<FakeResend> {
  const emails: FakeResend['emails'] = [];
  const byKey = new Map<string, string>();
  const sendsByKey = new Map<string, number>();
  const faults = new Faults();
  let failure = { count: 0, statusCode: 500, name: 'internal_server_error' };
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.url !== '/emails') return reply(404, { statusCode: 404, name: 'not_found', message: 'Not found' });
    if (failure.count > 0) {
      failure.count--;
      return reply(failure.statusCode, { statusCode: failure.statusCode, name: failure.name, message: 'fake failure' });
    }
    const fault = await faults.before(response);
    if (fault === 'answered') return;
    const key = request.headers['idempotency-key'] as string | undefined;
    if (key) sendsByKey.set(key, (sendsByKey.get(key) ?? 0) + 1);
    let id = key ? byKey.get(key) : undefined;
    if (!id) {
      id = `email-${emails.length + 1}`;
      if (key) byKey.set(key, id);
      emails.push({ idempotencyKey: key, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
    }
    if (Faults.loseAnswer(fault, response)) return;
    reply(200, { id });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    emails,
    sendsByKey,
    faults,
    failNext: (count, statusCode, name) => (failure = { count, statusCode, name }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
