import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { beforeDeadline, describeTimeout } from '../outbound.js';
import type { CheckStatus, HealthDeps } from './health-report.js';

// The outside services `roshni health` asks whether they answer and accept Roshni's credentials,
// and the WhatsApp session's state.

export type Verdict = { status: CheckStatus; detail: string };

interface ExternalService {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** What the service's answer says beyond its HTTP status (null: judge by the status alone). */
  judge?: (status: number, body: Record<string, unknown> | null) => Verdict | null;
}

export const refused = (what: string): Verdict => ({ status: 'warn', detail: `credentials refused (${what})` });

export function externalServices(config: Config): ExternalService[] {
  const env = config.env;
  const services: ExternalService[] = [];
  if (env.TELEGRAM_BOT_TOKEN) {
    services.push({
      name: 'telegram',
      url: `${(env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org').replace(/\/$/, '')}/bot${env.TELEGRAM_BOT_TOKEN}/getMe`,
      judge: (status, body) => {
        if (body?.ok === true) return { status: 'ok', detail: `bot @${String((body.result as { username?: unknown })?.username ?? '?')} answering` };
        return status === 401 || status === 404 ? refused(`HTTP ${status}`) : null;
      },
    });
  }
  if (env.RAZORPAY_KEY_ID && env.RAZORPAY_KEY_SECRET) {
    const auth = Buffer.from(`${env.RAZORPAY_KEY_ID}:${env.RAZORPAY_KEY_SECRET}`).toString('base64');
    services.push({
      name: 'razorpay',
      url: `${(env.RAZORPAY_BASE_URL ?? 'https://api.razorpay.com').replace(/\/$/, '')}/v1/payments?count=1`,
      headers: { authorization: `Basic ${auth}` },
    });
  }
  if (env.RESEND_API_KEY) {
    services.push({
      name: 'resend',
      url: `${(env.RESEND_BASE_URL ?? 'https://api.resend.com').replace(/\/$/, '')}/domains`,
      headers: { authorization: `Bearer ${env.RESEND_API_KEY}` },
      // A "sending access" key (the least it needs) is a valid key that may not list domains.
      judge: (status, body) =>
        status === 401 && body?.name === 'restricted_api_key' ? { status: 'ok', detail: 'credentials accepted (a sending-only key)' } : null,
    });
  }
  if (env.FAST2SMS_API_KEY) {
    services.push({
      name: 'fast2sms',
      url: `${env.FAST2SMS_BASE_URL.replace(/\/$/, '')}/dev/wallet`,
      headers: { authorization: env.FAST2SMS_API_KEY },
      // Fast2SMS says no in its body ({ return: false, status_code }), whatever the HTTP status.
      judge: (status, body) => (body?.return === false ? refused(`status ${String(body.status_code ?? status)}`) : null),
    });
  }
  return services;
}

/** Asks one service whether it answers and accepts Roshni's credentials; not answering only warns. */
export async function serviceCheck(service: ExternalService, doFetch: typeof fetch, timeoutMs: number, signal?: AbortSignal): Promise<Verdict> {
  let response: Response;
  let body: Record<string, unknown> | null;
  try {
    response = await doFetch(service.url, {
      headers: service.headers ?? {},
      signal: signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]) : AbortSignal.timeout(timeoutMs),
    });
    const parsed: unknown = await response.json().catch(() => null);
    body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  } catch (error) {
    return { status: 'warn', detail: `unreachable: ${(error as Error).message}` };
  }
  const verdict = service.judge?.(response.status, body);
  if (verdict) return verdict;
  if (response.status === 401 || response.status === 403) return refused(`HTTP ${response.status}`);
  if (response.status >= 500) return { status: 'warn', detail: `answering with HTTP ${response.status}` };
  return { status: 'ok', detail: `reachable (HTTP ${response.status})` };
}

/** Saved by whatsapp-web.js's LocalAuth (clientId "roshni", dataPath ROSHNI_HOME/whatsapp: src/bot/channels/whatsapp.ts). */
function whatsappSessionDir(config: Config): string {
  return join(config.home, 'whatsapp', 'session-roshni');
}

export async function whatsappCheck(config: Config, state: HealthDeps['whatsappState'], withinMs: number): Promise<Verdict> {
  if (!state) {
    return existsSync(whatsappSessionDir(config))
      ? { status: 'ok', detail: 'a session is saved (its live state: GET /health of roshni start)' }
      : { status: 'warn', detail: 'no WhatsApp session saved: scan the QR with `roshni bot whatsapp`' };
  }
  try {
    const now = await beforeDeadline(state(), withinMs);
    return now === 'CONNECTED'
      ? { status: 'ok', detail: 'session CONNECTED' }
      : { status: 'warn', detail: `session ${now ?? 'not ready'}: messages wait or go by another channel` };
  } catch (error) {
    const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
    return { status: 'warn', detail: `session state unknown: ${timedOut ? `no answer ${describeTimeout(withinMs)}` : (error as Error).message}` };
  }
}
