import { hostname } from 'node:os';
import type { DomainContext } from '../domain/context.js';
import { channelsFromConfig } from '../infra/channels/from-config.js';
import type { WhatsAppClientLike } from '../infra/channels/whatsapp-sender.js';
import { addWhatsAppWhileConnected } from '../infra/channels/whatsapp-while-connected.js';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/db/database.js';
import type { StartPartReport } from '../infra/health/health.js';
import type { Log } from '../infra/log.js';
import type { TelegramWebhook } from '../infra/channels/telegram-webhook.js';
import { Dispatcher } from '../jobs/dispatcher.js';
import { PartSupervisor, type PartControl, type RetryPolicy, type SupervisedPart } from '../infra/part-supervisor.js';
import { startScheduler, type JobDefinition } from '../jobs/scheduler.js';

// `roshni start`: one long-running process with the bots, the HTTP endpoints, the dispatcher and
// the scheduled jobs. The HTTP server, the dispatcher and the scheduler start at once; each bot
// starts in the background and is kept going by the part supervisor, so a bot whose outside service
// is down holds up nothing (it is degraded on GET /health and tried again). Stopping (SIGTERM/SIGINT)
// stops taking work first, lets sends in flight finish and be recorded, then lets go of the bots and
// closes the HTTP server.

export interface Running {
  stop(): Promise<void>;
}

/** What a running bot part holds: the WhatsApp client it has a session for becomes a sending channel while it runs. */
export interface PartHandle extends Running {
  whatsapp?: WhatsAppClientLike;
}

/** What every start of a bot part is given. */
export type StartControl = PartControl & { ctx: DomainContext; config: Config; log: Log };

/**
 * Where the patient bots join `roshni start` (src/start/bot-parts.ts). A part in webhook mode brings
 * the handler of POST /webhooks/telegram, served from the start (503 until its bot is connected).
 */
export type StartPart = SupervisedPart<PartHandle, StartControl> & { telegramWebhook?: TelegramWebhook };

export interface StartOptions {
  ctx: DomainContext;
  config: Config;
  /** The open database, for the jobs that need more than the domain (backups, health). */
  database: Database;
  log: Log;
  /** Defaults to host:pid. */
  instanceId?: string;
  http?: boolean;
  jobs?: readonly JobDefinition[];
  /** The patient bots (src/start/bot-parts.ts); none by default. */
  parts?: readonly StartPart[];
  /** How a bot whose service is down is tried again (the supervisor's default: 1 s doubling to 60 s). */
  retry?: RetryPolicy;
}

/** The HTTP endpoints: the Razorpay webhook, the Telegram webhook when a bot uses one, and GET /health with the full checks. */
async function startHttp(
  options: StartOptions,
  telegram: TelegramWebhook | undefined,
  whatsappState: (() => Promise<string | null>) | undefined,
  parts: () => StartPartReport[],
): Promise<Running & { url: string }> {
  const [{ startClinicServer }, { healthProbe }] = await Promise.all([import('../http/clinic-server.js'), import('../infra/health/health.js')]);
  const { RAZORPAY_WEBHOOK_SECRET: secret, RAZORPAY_WEBHOOK_SECRET_PREVIOUS: previous } = options.config.env;
  // Checks still calling outside services when we stop are cut, so no socket holds the process.
  const checking = new AbortController();
  const server = await startClinicServer({
    ctx: options.ctx,
    host: options.config.env.ROSHNI_HTTP_HOST,
    port: options.config.env.ROSHNI_HTTP_PORT,
    razorpayWebhookSecrets: secret ? [secret, ...(previous ? [previous] : [])] : [],
    log: options.log,
    health: healthProbe(
      { config: options.config, clock: options.ctx.clock, db: options.ctx.db, signal: checking.signal, ...(whatsappState ? { whatsappState } : {}) },
      { parts },
    ),
    healthAccess: { token: options.config.env.ROSHNI_HEALTH_TOKEN },
    ...(telegram ? { telegram } : {}),
  });
  return {
    url: server.url,
    stop: () => {
      checking.abort();
      return server.close();
    },
  };
}

export async function startRoshni(
  options: StartOptions,
): Promise<Running & { instanceId: string; httpUrl: string | null; channels: string[]; bots: string[]; parts(): StartPartReport[] }> {
  const { ctx, config, log } = options;
  const instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
  const parts = options.parts ?? [];
  const supervisor = new PartSupervisor<PartHandle, Omit<StartControl, keyof PartControl>>({
    clock: ctx.clock,
    log,
    given: { ctx, config, log },
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const whatsapp = () => supervisor.running().find((handle) => handle.whatsapp)?.whatsapp;
  const whatsappState = config.env.WHATSAPP_ENABLED ? async () => (await whatsapp()?.getState?.()) ?? null : undefined;

  const http =
    options.http === false ? null : await startHttp(options, parts.find((p) => p.telegramWebhook)?.telegramWebhook, whatsappState, () => supervisor.report());
  if (http) supervisor.steady('http');
  const channels = channelsFromConfig(config, { db: ctx.db });
  if (config.env.WHATSAPP_ENABLED) addWhatsAppWhileConnected(channels, whatsapp);
  const dispatcher = new Dispatcher({ ctx, channels, instanceId, log });
  dispatcher.start();
  supervisor.steady('dispatcher');
  const scheduler = startScheduler(ctx, {
    instanceId,
    log,
    services: { config, database: options.database, ...(whatsappState ? { whatsappState } : {}) },
    ...(options.jobs ? { jobs: options.jobs } : {}),
  });
  supervisor.steady('scheduler');
  for (const part of parts) supervisor.add(part);

  return {
    instanceId,
    httpUrl: http?.url ?? null,
    channels: Object.keys(channels),
    bots: parts.map((part) => part.name),
    parts: () => supervisor.report(),
    async stop() {
      // No new work, and the sends in flight finish (WhatsApp's with its client still there); then
      // the bots let go while the HTTP server finishes its requests (a webhook for a bot already gone: 503).
      await Promise.all([scheduler.stop(), dispatcher.stop()]);
      await Promise.all([supervisor.stop(), http?.stop()]);
    },
  };
}
