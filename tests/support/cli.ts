import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

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
export async function runCli(argv: string[], env: Record<string, string | undefined>, options: { input?: string } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (options.input !== undefined) stdin.end(options.input);
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await main(argv, { stdout, stderr, stdin, env: { ROSHNI_HOME: '/nonexistent/roshni-home', ...env } });
  return { code, stdout: out(), stderr: err() };
}

export const binPath = fileURLToPath(new URL('../../bin/roshni.js', import.meta.url));

/** Runs the built CLI as its own process (needs `npm run build`, which `npm test` does first). */
export function spawnCli(
  argv: string[],
  env: Record<string, string | undefined>,
  nodeArgs: string[] = [],
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, binPath, ...argv], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
