import { systemClock, type Clock } from '../infra/clock.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** What time it is; the system's unless a test running the CLI in its own process pins it. */
  clock: Clock;
}

export const processIO = (): CliIO => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  clock: systemClock,
});

/** What every command handler knows about how it was called. */
export interface CommandEnv {
  io: CliIO;
  json: boolean;
  debug: boolean;
  /** Prompts are allowed: stdin is a terminal and --json was not asked for. */
  interactive: boolean;
  /** The command being run, e.g. "backup create" (for the audit of a refusal). */
  command?: string;
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
