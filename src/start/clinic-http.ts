import type { DomainContext } from '../domain/context.js';
import type { TelegramWebhook } from '../infra/channels/telegram-webhook.js';
import type { Config } from '../infra/config.js';
import type { RunningServer } from '../http/server.js';

export type { RunningServer };

/** `roshni serve`: the clinic's HTTP endpoints with the full health checks, and the Telegram webhook when given. */
export async function serveClinicHttp(
  ctx: DomainContext,
  config: Config,
  options: { host: string; port: number; telegram?: TelegramWebhook; log?: (line: string) => void },
): Promise<RunningServer> {
  const [{ startClinicServer }, { healthProbe }] = await Promise.all([import('../http/clinic-server.js'), import('../infra/health/health.js')]);
  const secret = config.env.RAZORPAY_WEBHOOK_SECRET;
  const previous = config.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
  return startClinicServer({
    ctx,
    host: options.host,
    port: options.port,
    razorpayWebhookSecrets: secret ? [secret, ...(previous ? [previous] : [])] : [],
    health: healthProbe({ config, clock: ctx.clock, db: ctx.db }),
    healthAccess: { token: config.env.ROSHNI_HEALTH_TOKEN },
    ...(options.telegram ? { telegram: options.telegram } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}
