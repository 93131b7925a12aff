import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults } from './faults.js';

// A fake Fast2SMS bulkV2 endpoint on 127.0.0.1: checks the authorization header, records each
// request, and can answer with Fast2SMS's error shape ({ return: false, status_code, message }) or
// misbehave (hang, drop the connection: see faults.ts).

export interface FakeFast2Sms {
  baseUrl: string;
  requests: Array<Record<string, unknown>>;
  failNext(count: number, httpStatus: number, statusCode: number, message?: string): void;
  faults: Faults;
  close(): Promise<void>;
}

export async function startFakeFast2Sms(apiKey: string): Promise<FakeFast2Sms> {
  const requests: Array<Record<string, unknown>> = [];
  let failure = { count: 0, httpStatus: 500, statusCode: 500, message: 'Server error' };
  const faults = new Faults();
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== apiKey)
      return reply(401, { return: false, status_code: 412, message: 'Invalid Authentication, Check Authorization Key' });
    // The wallet balance: what `roshni health` asks to check the credentials.
    if (request.method === 'GET') return reply(200, { return: true, wallet: '100.00', sms_count: 400 });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    if (failure.count > 0) {
      failure.count--;
      return reply(failure.httpStatus, { return: false, status_code: failure.statusCode, message: failure.message });
    }
    const fault = await faults.before(response);
    if (fault === 'answered') return;
    requests.push(body);
    if (Faults.loseAnswer(fault, response)) return;
    reply(200, { return: true, request_id: `sms-${requests.length}`, message: ['SMS sent successfully.'] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    faults,
    failNext: (count, httpStatus, statusCode, message = 'fake failure') => (failure = { count, httpStatus, statusCode, message }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
