import { InvalidArgumentError, type Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { ExitCode } from '../cli/exit-codes.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { emit, note } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { untilStopSignal } from '../cli/stop-signal.js';
import { ConfigError } from '../infra/config.js';
import { serveClinicHttp, type RunningServer } from '../start/clinic-http.js';
import { telegramWebhookOf } from '../start/foreground-bots.js';

interface ServeFlags {
  port?: number;
  host?: string;
}

function portNumber(value: string): number {
  if (!/^\d{1,5}$/.test(value.trim()) || Number(value) > 65535) throw new InvalidArgumentError('must be a port number, 0–65535.');
  return Number(value);
}

async function listen(start: () => Promise<RunningServer>, host: string, port: number): Promise<RunningServer> {
  try {
    return await start();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new ConfigError('ROSHNI_HTTP_PORT', `${port} is already in use on ${host}: choose another with --port`);
    if (code === 'EACCES') throw new ConfigError('ROSHNI_HTTP_PORT', `${port} on ${host} needs privileges: use a port above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ConfigError('ROSHNI_HTTP_HOST', `${host} is not an address of this machine`);
    throw error;
  }
}

/** Runs until SIGINT or SIGTERM, then lets requests in flight finish and exits 0. */
async function serve(env: CommandEnv, flags: ServeFlags): Promise<number> {
  return withSession(
    env,
    async ({ config, ctx }) => {
      const host = flags.host ?? config.env.ROSHNI_HTTP_HOST;
      const port = flags.port ?? config.env.ROSHNI_HTTP_PORT;
      const secret = config.env.RAZORPAY_WEBHOOK_SECRET;
      const quiet = ['warn', 'error', 'silent'].includes(config.env.ROSHNI_LOG_LEVEL);
      const telegram = await telegramWebhookOf(ctx, config, (event, fields) => writeLine(env.io.stderr, JSON.stringify({ event, ...fields })));
      // Listening for the stop signals before saying we are up: a supervisor may stop us at once.
      const stopSignal = untilStopSignal();
      const server = await listen(
        () =>
          serveClinicHttp(ctx, config, {
            host,
            port,
            ...(telegram ? { telegram } : {}),
            ...(quiet ? {} : { log: (line: string) => writeLine(env.io.stderr, line) }),
          }),
        host,
        port,
      );
      const routes = `POST /webhooks/razorpay,${telegram ? ' POST /webhooks/telegram,' : ''} GET /health`;
      emit(env, { url: server.url }, () => `Listening on ${server.url}: ${routes}. Stop with Ctrl+C.`);
      if (!secret) note(env, 'RAZORPAY_WEBHOOK_SECRET is not set: the Razorpay webhook answers 503 until it is.');
      const signal = await stopSignal;
      note(env, `${signal}: finishing requests in flight and stopping.`);
      await server.close();
      return ExitCode.ok;
    },
    { acting: 'service' },
  );
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('serve')
    .description('Run the HTTP endpoints until stopped: POST /webhooks/razorpay, POST /webhooks/telegram (webhook mode), GET /health')
    .option('--port <port>', 'port to listen on (ROSHNI_HTTP_PORT, 8080); 0 picks a free one', portNumber)
    .option('--host <host>', 'address to listen on (ROSHNI_HTTP_HOST, 127.0.0.1)')
    .action(run((env, flags: ServeFlags) => serve(env, flags)));
}
