import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { emit, note } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { shownAt, type Log } from '../infra/log.js';
import { exitIfStillRunningAfter, untilStopSignal } from '../cli/stop-signal.js';
import { startRoshni } from '../start/roshni.js';
import { scheduledJobs } from '../start/jobs.js';

/** A stop ends the process within this time, whatever hangs (the clinic's supervisor waits 10 s). */
const STOP_BUDGET_MS = 9_000;

/** Runs until SIGTERM/SIGINT: stops taking work, finishes sends in flight, exits 0. */
async function start(env: CommandEnv, flags: { http?: boolean }): Promise<number> {
  // Listening for the stop signals before anything starts: a supervisor may stop us while we start
  // (the embedded database's first creation takes seconds); we then finish starting and stop cleanly.
  const stopSignal = untilStopSignal();
  return withSession(
    env,
    async ({ ctx, config, database }) => {
      const log: Log = (line, level) => {
        if (shownAt(config.env.ROSHNI_LOG_LEVEL, level)) writeLine(env.io.stderr, line);
      };
      const { botStartParts } = await import('../start/bot-parts.js');
      const running = await startRoshni({ ctx, config, database, log, http: flags.http !== false, parts: botStartParts(config) });
      emit(
        env,
        { instanceId: running.instanceId, httpUrl: running.httpUrl, bots: running.bots, channels: running.channels, jobs: scheduledJobs().map((j) => j.name) },
        () => [
          `Roshni is running (${running.instanceId}).`,
          `  HTTP: ${running.httpUrl ?? 'off'}`,
          `  Bots: ${running.bots.length ? `${running.bots.join(', ')} (starting in the background; GET /health shows their state)` : 'none configured (TELEGRAM_BOT_TOKEN, WHATSAPP_ENABLED)'}`,
          `  Sending by: ${running.channels.join(', ') || 'no channel configured (messages wait in the outbox)'}`,
          `  Jobs: ${scheduledJobs()
            .map((j) => `${j.name} (${j.cron})`)
            .join(', ')}`,
          'Stop with Ctrl+C.',
        ],
      );
      const signal = await stopSignal;
      note(env, `${signal}: finishing sends in flight and stopping.`);
      exitIfStillRunningAfter(STOP_BUDGET_MS, () =>
        writeLine(env.io.stderr, `roshni: still stopping after ${STOP_BUDGET_MS / 1000} s (something did not let go): exiting.`),
      );
      await running.stop();
      return 0;
    },
    { acting: 'service' },
  );
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('start')
    .description('Run everything: the patient bots, HTTP endpoints, the message dispatcher and the scheduled jobs')
    .option('--no-http', 'do not serve the HTTP endpoints')
    .action(run(start));
}
