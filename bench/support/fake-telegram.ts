import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A fake Telegram Bot API on 127.0.0.1 for grammY's real client (`client: { apiRoot }`): it records
// every call, feeds queued updates to getUpdates (long polling) and, like Telegram, forgets an update
// only when a later getUpdates asks with a greater offset; it can answer 429 with retry_after, and
// take its time over a method.
// Shared by the tests and the bot-load benchmark (which watches calls as they come and slows some).

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

export interface FakeTelegramOptions {
  token?: string;
  /** Told of every call (not getUpdates) the moment it arrives, before it is answered. */
  onCall?(call: RecordedCall): void;
  /** How long to hold a call's answer, in ms (a slow Bot API for some chats); 0 answers at once. */
  answerDelayMs?(call: RecordedCall): number;
  /** Keep every call in `calls` (default true); a long benchmark turns it off. */
  recordCalls?: boolean;
}

export interface FakeTelegram {
  /** Pass as grammY's `client.apiRoot`. */
  apiRoot: string;
  token: string;
  calls: RecordedCall[];
  /** Calls of one method, e.g. 'sendMessage'. */
  callsOf(method: string): RecordedCall[];
  /** Queues an update (without update_id; it is numbered here) for getUpdates. */
  pushUpdate(update: Record<string, unknown>): number;
  /** Updates handed out and not yet confirmed by a greater offset, with those never handed out. */
  unconfirmed(): number[];
  /** Every call of `method` is answered after `ms` (0: at once again). */
  delay(method: string, ms: number): void;
  /** The next `count` calls of `method` answer 429 Too Many Requests with this retry_after (seconds). */
  failWith429(method: string, count: number, retryAfterSeconds: number): void;
  /** A file a user sent, for getFile and the file download endpoint (documents and photos). */
  addFile(fileId: string, bytes: Uint8Array): void;
  /** The file's download is answered only once `until` resolves (a slow line). */
  holdDownload(fileId: string, until: Promise<void>): void;
  /** The offset and long-poll timeout (seconds) of the latest getUpdates. */
  lastPoll(): { offset: number; timeout: number } | undefined;
  /** Resolves when at least `count` calls of `method` have been recorded. */
  waitForCalls(method: string, count: number, timeoutMs?: number): Promise<RecordedCall[]>;
  close(): Promise<void>;
}

async function readParams(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  if (type.includes('application/json') && body.length) return JSON.parse(body.toString('utf8'));
  if (type.includes('multipart/form-data')) {
    // grammY sends files (sendPhoto, sendDocument) as multipart: the text fields, and each file's name and bytes.
    const boundary = /boundary=(.+)$/.exec(type)?.[1] ?? '';
    const params: Record<string, unknown> = {};
    for (const part of body.toString('latin1').split(`--${boundary}`)) {
      const name = /name="([^"]+)"/.exec(part)?.[1];
      if (!name) continue;
      const filename = /filename="?([^"\r\n]*)"?/.exec(part)?.[1];
      const value = part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
      params[name] =
        filename !== undefined
          ? { file: true, filename, bytes: Buffer.byteLength(value, 'latin1'), content: Buffer.from(value, 'latin1') }
          : Buffer.from(value, 'latin1').toString('utf8');
    }
    return params;
  }
  return Object.fromEntries(new URL(request.url ?? '/', 'http://x').searchParams);
}

let messageIds = 1;

function resultFor(method: string, params: Record<string, unknown>): unknown {
  const chat = { id: Number(params.chat_id ?? 0), type: 'private' };
  switch (method) {
    case 'getMe':
      return {
        id: 1000,
        is_bot: true,
        first_name: 'Roshni Clinic',
        username: 'roshni_clinic_bot',
        can_join_groups: false,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
      };
    case 'sendMessage':
      return { message_id: messageIds++, date: Math.floor(Date.now() / 1000), chat, text: params.text };
    case 'sendPhoto':
      return {
        message_id: messageIds++,
        date: Math.floor(Date.now() / 1000),
        chat,
        photo: [{ file_id: 'photo', file_unique_id: 'p', width: 256, height: 256 }],
      };
    case 'sendDocument':
      return { message_id: messageIds++, date: Math.floor(Date.now() / 1000), chat, document: { file_id: 'document', file_unique_id: 'd' } };
    case 'getFile':
      return { file_id: params.file_id, file_unique_id: `u-${String(params.file_id)}`, file_path: `documents/${String(params.file_id)}` };
    case 'editMessageText':
    case 'editMessageReplyMarkup':
      return { message_id: Number(params.message_id ?? 0), date: Math.floor(Date.now() / 1000), chat, text: params.text };
    default:
      return true;
  }
}

const DEFAULT_TOKEN = '123456:TEST-token-for-roshni-tests-000';

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const { token = DEFAULT_TOKEN, onCall, answerDelayMs, recordCalls = true } = options;
  const calls: RecordedCall[] = [];
  const queue: Array<Record<string, unknown>> = [];
  const waiting: Array<() => void> = [];
  const failures = new Map<string, { count: number; retryAfter: number }>();
  const delays = new Map<string, number>();
  let nextUpdateId = 1;
  const files = new Map<string, Uint8Array>();
  const heldDownloads = new Map<string, Promise<void>>();
  let lastPoll: { offset: number; timeout: number } | undefined;

  const server: Server = createServer(async (request, response) => {
    const download = /^\/file\/bot([^/]+)\/documents\/([\w-]+)$/.exec(request.url ?? '');
    if (download) {
      await heldDownloads.get(download[2]!);
      const bytes = download[1] === token ? files.get(download[2]!) : undefined;
      response.writeHead(bytes ? 200 : 404, { 'content-type': 'application/octet-stream' });
      return response.end(bytes ? Buffer.from(bytes) : undefined);
    }
    const match = /^\/bot([^/]+)\/(\w+)/.exec(request.url ?? '');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!match || match[1] !== token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2]!;
    const params = await readParams(request);
    if (method === 'getUpdates') {
      const offset = Number(params.offset ?? 0);
      lastPoll = { offset, timeout: Number(params.timeout ?? 0) };
      while (queue.length && Number(queue[0]!.update_id) < offset) queue.shift();
      if (!queue.length) {
        const timeoutMs = Math.min(Number(params.timeout ?? 0), 2) * 1000;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          waiting.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const limit = Math.min(Math.max(Number(params.limit ?? 100) || 100, 1), 100);
      return reply(200, { ok: true, result: queue.filter((u) => Number(u.update_id) >= offset).slice(0, limit) });
    }
    // Recorded on arrival: a message that reached Telegram is delivered, however late the answer.
    const call = { method, params, at: Date.now() };
    if (recordCalls) calls.push(call);
    onCall?.(call);
    const delay = Math.max(answerDelayMs?.(call) ?? 0, delays.get(method) ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const failure = failures.get(method);
    if (failure && failure.count > 0) {
      failure.count--;
      return reply(429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${failure.retryAfter}`,
        parameters: { retry_after: failure.retryAfter },
      });
    }
    return reply(200, { ok: true, result: resultFor(method, params) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    pushUpdate(update) {
      const id = nextUpdateId++;
      queue.push({ ...update, update_id: id });
      waiting.splice(0).forEach((wake) => wake());
      return id;
    },
    unconfirmed: () => queue.map((u) => Number(u.update_id)),
    delay(method, ms) {
      delays.set(method, ms);
    },
    addFile(fileId, bytes) {
      files.set(fileId, bytes);
    },
    holdDownload(fileId, until) {
      heldDownloads.set(fileId, until);
    },
    lastPoll: () => lastPoll,
    failWith429(method, count, retryAfterSeconds) {
      failures.set(method, { count, retryAfter: retryAfterSeconds });
    },
    async waitForCalls(method, count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls.filter((c) => c.method === method).length < count) {
        if (Date.now() > deadline)
          throw new Error(`fake Telegram: expected ${count} ${method} call(s), got ${calls.filter((c) => c.method === method).length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return calls.filter((c) => c.method === method);
    },
    close: () =>
      new Promise<void>((resolve) => {
        waiting.splice(0).forEach((wake) => wake());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
