import { hostname } from 'node:os';
import type { DomainContext } from '../domain/context.js';
import { channelsFromConfig } from '../infra/channels/from-config.js';
import type { WhatsAppClientLike } from '../infra/channels/whatsapp-sender.js';
import type { Config } from '../infra/config.js';
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
  start(ctx: DomainContext, config: Config, log: (line: string) => void): Promise<Running & { whatsapp?: WhatsAppClientLike }>;
}

export interface StartOptions {
  ctx: DomainContext;
  config: Config;
  log: (line: string) => void;
  /** Defaults to host:pid. */
  instanceId?: string;
  http?: boolean;
  jobs?: readonly JobDefinition[];
  /** The patient bots (src/bot/start-parts.ts); none by default. */
  parts?: readonly StartPart[];
}

interface HttpModule {
  startClinicServer?: (options: { ctx: DomainContext; host: string; port: number; razorpayWebhookSecrets: string[]; log?: (line: string) => void }) => Promise<{ url: string; close(): Promise<void> }>;
}

/** The HTTP endpoints (src/http, being built beside this): started when the module is there. */
async function startHttp(options: StartOptions): Promise<(Running & { url: string }) | null> {
  const specifier = '../http/clinic-server.js';
  const module = (await import(specifier).catch(() => null)) as HttpModule | null;
  if (!module?.startClinicServer) return null;
  const { RAZORPAY_WEBHOOK_SECRET: secret, RAZORPAY_WEBHOOK_SECRET_PREVIOUS: previous } = options.config.env;
  const server = await module.startClinicServer({
    ctx: options.ctx,
    host: options.config.env.ROSHNI_HTTP_HOST,
    port: options.config.env.ROSHNI_HTTP_PORT,
    razorpayWebhookSecrets: secret ? [secret, ...(previous ? [previous] : [])] : [],
    log: options.log,
  });
  return { url: server.url, stop: () => server.close() };
}

export async function startRoshni(
  options: StartOptions,
): Promise<Running & { instanceId: string; httpUrl: string | null; channels: string[]; bots: string[] }> {
  const instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
  const stack: Array<{ name: string; running: Running }> = [];
  let whatsapp: WhatsAppClientLike | undefined;
  for (const part of options.parts ?? []) {
    const running = await part.start(options.ctx, options.config, options.log);
    whatsapp ??= running.whatsapp;
    stack.push({ name: part.name, running });
  }
  const http = options.http === false ? null : await startHttp(options);
  if (http) stack.push({ name: 'http', running: http });
  const channels = channelsFromConfig(options.config, whatsapp);
  const dispatcher = new Dispatcher({ ctx: options.ctx, channels, instanceId, log: options.log });
  dispatcher.start();
  stack.push({ name: 'dispatcher', running: dispatcher });
  const scheduler = startScheduler(options.ctx, { instanceId, log: options.log, ...(options.jobs ? { jobs: options.jobs } : {}) });
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
