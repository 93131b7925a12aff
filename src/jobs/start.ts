import { hostname } from 'node:os';
import type { DomainContext } from '../domain/context.js';
import { channelsFromConfig } from '../infra/channels/from-config.js';
import type { WhatsAppClientLike } from '../infra/channels/whatsapp-sender.js';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/db/database.js';
import type { TelegramWebhook } from '../http/telegram-webhook-route.js';
import { Dispatcher } from './dispatcher.js';
import { startScheduler, type JobDefinition } from './scheduler.js';

// `roshni start`: one long-running process with the bots, the HTTP endpoints, the dispatcher and
// the scheduled jobs. Stopping (SIGTERM/SIGINT) stops taking work first, lets sends in flight
// finish and be recorded, then closes everything in reverse order.

export interface Running {
  stop(): Promise<void>;
}

/**
 * Where the patient bots join `roshni start` (src/bot/start-parts.ts): a part that starts with the
 * context and configuration and may hand over the WhatsApp client it holds a session for, which
 * then becomes a sending channel for the dispatcher.
 */
export interface StartPart {
  name: string;
  start(
    ctx: DomainContext,
    config: Config,
    log: (line: string) => void,
  ): Promise<Running & { whatsapp?: WhatsAppClientLike; telegramWebhook?: TelegramWebhook }>;
}

export interface StartOptions {
  ctx: DomainContext;
  config: Config;
  /** The open database, for the jobs that need more than the domain (backups, health). */
  database: Database;
  log: (line: string) => void;
  /** Defaults to host:pid. */
  instanceId?: string;
  http?: boolean;
  jobs?: readonly JobDefinition[];
  /** The patient bots (src/bot/start-parts.ts); none by default. */
  parts?: readonly StartPart[];
}

/** The HTTP endpoints: the Razorpay webhook and GET /health with the full checks. */
async function startHttp(
  options: StartOptions,
  telegram: TelegramWebhook | undefined,
  whatsappState: (() => Promise<string | null>) | undefined,
): Promise<Running & { url: string }> {
  const [{ startClinicServer }, { healthProbe }] = await Promise.all([import('../http/clinic-server.js'), import('../infra/health/health.js')]);
  const { RAZORPAY_WEBHOOK_SECRET: secret, RAZORPAY_WEBHOOK_SECRET_PREVIOUS: previous } = options.config.env;
  const server = await startClinicServer({
    ctx: options.ctx,
    host: options.config.env.ROSHNI_HTTP_HOST,
    port: options.config.env.ROSHNI_HTTP_PORT,
    razorpayWebhookSecrets: secret ? [secret, ...(previous ? [previous] : [])] : [],
    log: options.log,
    health: healthProbe({ config: options.config, clock: options.ctx.clock, db: options.ctx.db, ...(whatsappState ? { whatsappState } : {}) }),
    ...(telegram ? { telegram } : {}),
  });
  return { url: server.url, stop: () => server.close() };
}

export async function startRoshni(
  options: StartOptions,
): Promise<Running & { instanceId: string; httpUrl: string | null; channels: string[]; bots: string[] }> {
  const instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
  const stack: Array<{ name: string; running: Running }> = [];
  let whatsapp: WhatsAppClientLike | undefined;
  let telegramWebhook: TelegramWebhook | undefined;
  for (const part of options.parts ?? []) {
    const running = await part.start(options.ctx, options.config, options.log);
    whatsapp ??= running.whatsapp;
    telegramWebhook ??= running.telegramWebhook;
    stack.push({ name: part.name, running });
  }
  const whatsappState = whatsapp?.getState ? () => whatsapp!.getState!() : undefined;
  const http = options.http === false ? null : await startHttp(options, telegramWebhook, whatsappState);
  if (http) stack.push({ name: 'http', running: http });
  const channels = channelsFromConfig(options.config, { ...(whatsapp ? { whatsapp } : {}), db: options.ctx.db });
  const dispatcher = new Dispatcher({ ctx: options.ctx, channels, instanceId, log: options.log });
  dispatcher.start();
  stack.push({ name: 'dispatcher', running: dispatcher });
  const scheduler = startScheduler(options.ctx, {
    instanceId,
    log: options.log,
    services: { config: options.config, database: options.database, ...(whatsappState ? { whatsappState } : {}) },
    ...(options.jobs ? { jobs: options.jobs } : {}),
  });
  stack.push({ name: 'scheduler', running: scheduler });
  return {
    instanceId,
    httpUrl: http?.url ?? null,
    channels: Object.keys(channels),
    bots: (options.parts ?? []).map((part) => part.name),
    async stop() {
      // The scheduler and the dispatcher stop taking work first; the bots and HTTP last.
      for (const { running } of stack.reverse()) await running.stop();
    },
  };
}
