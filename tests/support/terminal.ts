import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { systemClock, type Clock } from '../../src/infra/clock.js';

export const ENTER = '\r';
export const DOWN = '\u001b[B';
export const CLEAR_LINE = '\u0015';

/**
 * A terminal that answers prompts: each step waits until the output shows `prompt` (after the
 * previous step's), then types `keys`. Returns the exit code, everything shown, and the steps left.
 */
export async function onTerminal(argv: string[], env: Record<string, string>, steps: Array<[prompt: string, keys: string]>, options: { clock?: Clock } = {}) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 160, rows: 40 });
  const stderr = new PassThrough();
  let shown = '';
  let errors = '';
  let from = 0;
  const pending = [...steps];
  stdout.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    const next = pending[0];
    if (!next) return;
    const at = shown.indexOf(next[0], from);
    if (at < 0) return;
    from = at + next[0].length;
    pending.shift();
    setTimeout(() => stdin.write(next[1]), 20);
  });
  stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await main(argv, { stdin, stdout, stderr, env: { ROSHNI_HOME: '/nonexistent/roshni-home', ...env }, clock: options.clock ?? systemClock });
  return { code, shown, errors, unanswered: pending.map(([prompt]) => prompt) };
}
