import { InvalidInputError } from '../domain/errors.js';
import type { CommandEnv } from './io.js';
import { PromptCancelledError } from './prompts.js';

// Passwords are never flags (they would stay in the shell's history and in `ps`): asked for with hidden
// input on a terminal, or read from standard input with --password-stdin (a line each).

/** Standard input's lines, read once to its end: each --password-stdin question takes the next one. */
const stdinLines = new WeakMap<NodeJS.ReadableStream, Promise<string[]>>();

async function nextStdinLine(stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  if (!stdinLines.has(stdin)) {
    stdinLines.set(
      stdin,
      (async () => {
        let text = '';
        for await (const chunk of stdin) text += chunk.toString();
        return text.split(/\r?\n/);
      })(),
    );
  }
  return (await stdinLines.get(stdin)!).shift();
}

export async function readPassword(env: CommandEnv, options: { fromStdin?: boolean; message: string; confirm?: boolean }): Promise<string> {
  if (options.fromStdin) {
    const line = await nextStdinLine(env.io.stdin);
    if (!line) throw new InvalidInputError('--password-stdin: standard input held no password (one a line).');
    return line;
  }
  if (!env.interactive) throw new InvalidInputError('A password is needed: give it on standard input with --password-stdin, or run in a terminal.');
  const prompts = await import('@clack/prompts');
  const streams = { input: env.io.stdin as NodeJS.ReadStream, output: env.io.stdout as NodeJS.WriteStream };
  const ask = async (message: string) => {
    const answer = await prompts.password({ ...streams, message, validate: (value) => (value ? undefined : 'Required') });
    if (prompts.isCancel(answer)) throw new PromptCancelledError();
    return answer;
  };
  const first = await ask(options.message);
  if (options.confirm && (await ask('The same password again')) !== first) {
    throw new InvalidInputError('The two passwords differ: nothing was changed.');
  }
  return first;
}
