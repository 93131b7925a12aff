import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { emit, note } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { startRoshni } from '../jobs/start.js';
import { JOBS } from '../jobs/scheduler.js';

function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs until SIGTERM/SIGINT: stops taking work, finishes sends in flight, exits 0. */
async function start(env: CommandEnv, flags: { http?: boolean }): Promise<number> {
  return withSession(env, async ({ ctx, config }) => {
    const quiet = ['warn', 'error', 'silent'].includes(config.env.ROSHNI_LOG_LEVEL);
    const log = (line: string) => {
      if (!quiet) writeLine(env.io.stderr, line);
    };
    const running = await startRoshni({ ctx, config, log, http: flags.http !== false });
    emit(env, { instanceId: running.instanceId, httpUrl: running.httpUrl, channels: running.channels, jobs: JOBS.map((j) => j.name) }, () => [
      `Roshni is running (${running.instanceId}).`,
      `  HTTP: ${running.httpUrl ?? 'off'}`,
      `  Sending by: ${running.channels.join(', ') || 'no channel configured (messages wait in the outbox)'}`,
      `  Jobs: ${JOBS.map((j) => `${j.name} (${j.cron})`).join(', ')}`,
      'Stop with Ctrl+C.',
    ]);
    const signal = await untilStopSignal();
    note(env, `${signal}: finishing sends in flight and stopping.`);
    await running.stop();
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('start')
    .description('Run everything: HTTP endpoints, the message dispatcher and the scheduled jobs')
    .option('--no-http', 'do not serve the HTTP endpoints')
    .action(run(start));
}
