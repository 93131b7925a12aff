import { systemActor } from '../domain/actor.js';
import { withActor, type DomainContext } from '../domain/context.js';
import type { HealthAccess } from './health-access.js';
import { healthRoute, type HealthProbe } from './health-route.js';
import { razorpayWebhookRoute } from './razorpay-webhook-route.js';
import { startHttpServer, type RunningServer } from './server.js';
import { telegramWebhookRoute, type TelegramWebhook } from './telegram-webhook-route.js';

export interface ClinicServerOptions {
  ctx: DomainContext;
  host: string;
  port: number;
  /** RAZORPAY_WEBHOOK_SECRET (and, while rotating it, the previous one). */
  razorpayWebhookSecrets: readonly string[];
  log?: (line: string) => void;
  /** The full health checks for GET /health; without it, /health only says the process is up. */
  health?: HealthProbe;
  /** Who may read /health's detail (ROSHNI_HEALTH_TOKEN); anyone else gets ok / degraded / down. */
  healthAccess?: HealthAccess;
  /** The Telegram bot in webhook mode (TELEGRAM_WEBHOOK_URL): POST /webhooks/telegram. */
  telegram?: TelegramWebhook;
}

/** The clinic's HTTP endpoints (`roshni serve`). Webhooks act as the system (roshni_service), never as a member of staff. */
export function startClinicServer(options: ClinicServerOptions): Promise<RunningServer> {
  const ctx = withActor(options.ctx, systemActor);
  return startHttpServer({
    host: options.host,
    port: options.port,
    routes: [
      healthRoute(options.health, options.healthAccess),
      razorpayWebhookRoute(ctx, options.razorpayWebhookSecrets),
      ...(options.telegram ? [telegramWebhookRoute(options.telegram)] : []),
    ],
    ...(options.log ? { log: options.log } : {}),
  });
}
