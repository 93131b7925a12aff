import { terminalText } from '../infra/terminal-text.js';
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

/** One line of text, cleaned of whatever could act on a terminal (see terminal-text.ts). */
export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${terminalText(text)}\n`);
}

/** Text as it is (a CSV, a page, a receipt), cleaned the same way. */
export function writeText(stream: NodeJS.WritableStream, text: string): void {
  stream.write(terminalText(text));
}
