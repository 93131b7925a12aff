import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { systemClock, type Clock } from '../../src/infra/clock.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs `roshni <argv>` in this process, as a script would (stdin is not a terminal).
 * Only the variables given are the environment: no .env file, no developer's DATABASE_URL.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined>, options: { input?: string; clock?: Clock } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (options.input !== undefined) stdin.end(options.input);
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await main(argv, { stdout, stderr, stdin, env: { ROSHNI_HOME: '/nonexistent/roshni-home', ...env }, clock: options.clock ?? systemClock });
  return { code, stdout: out(), stderr: err() };
}

export const binPath = fileURLToPath(new URL('../../bin/roshni.js', import.meta.url));

/**
 * A child process's environment: only the variables given, the machine's PATH and HOME, and, when the
 * suite runs at a pinned instant (scripts/test-at-instants.sh), libfaketime's, so the child keeps the suite's clock.
 */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const clock = Object.entries(process.env).filter(([name]) => name === 'LD_PRELOAD' || name.startsWith('FAKETIME'));
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...Object.fromEntries(clock), ...env };
}

/** Starts the built CLI as its own process (needs `npm run build`, which `npm test` does first). */
export function startCli(
  argv: string[],
  env: Record<string, string | undefined>,
  options: { nodeArgs?: string[]; input?: string; uid?: number; gid?: number } = {},
): ChildProcessWithoutNullStreams {
  const user = options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), binPath, ...argv], { env: childEnv(env), ...user });
  child.stdin.end(options.input ?? '');
  return child;
}

/** Runs the built CLI as its own process to its end (as another user, or with `input` on its standard input). */
export function spawnCli(
  argv: string[],
  env: Record<string, string | undefined>,
  nodeArgs: string[] = [],
  as: { uid?: number; gid?: number; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(argv, env, { nodeArgs, ...as });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
