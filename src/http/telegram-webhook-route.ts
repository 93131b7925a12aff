import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { readRawBody } from './read-body.js';
import type { TelegramWebhook } from '../infra/channels/telegram-webhook.js';
import type { Reply, Route } from './server.js';

export type { TelegramWebhook };

const UPDATE_BODY_LIMIT_BYTES = 1024 * 1024;
const update = z.looseObject({ update_id: z.number().int().nonnegative() });

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * POST /webhooks/telegram: Telegram's webhook mode. Only requests carrying the secret token are
 * taken (401 otherwise, and nothing runs); a body that is not an update is a 400. The update runs
 * through the same bot as long polling does; 500 on failure, and 503 while the bot is not connected
 * yet, make Telegram deliver it again.
 */
export function telegramWebhookRoute(webhook: TelegramWebhook): Route {
  return {
    method: 'POST',
    path: '/webhooks/telegram',
    async handle(request): Promise<Reply> {
      if (!sameSecret(request.headers['x-telegram-bot-api-secret-token'], webhook.secret)) {
        request.resume();
        return { status: 401, body: { error: 'wrong secret token' }, log: 'refused' };
      }
      if (webhook.ready && !webhook.ready()) {
        request.resume();
        return { status: 503, body: { error: 'the Telegram bot is not connected yet: Telegram delivers the update again' }, log: 'bot not ready' };
      }
      const raw = await readRawBody(request, UPDATE_BODY_LIMIT_BYTES);
      let parsed: z.infer<typeof update>;
      try {
        parsed = update.parse(JSON.parse(raw.toString('utf8')));
      } catch {
        return { status: 400, body: { error: 'not a Telegram update' }, log: 'bad update' };
      }
      await webhook.handleUpdate(parsed);
      return { status: 200, body: { ok: true }, log: `update ${parsed.update_id}` };
    },
  };
}
