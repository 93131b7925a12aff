import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { spawn, type IPty } from '@lydell/node-pty';
import { binPath, childEnv } from './cli.js';

export const KEYS = { enter: '\r', down: '\u001b[B', up: '\u001b[A', escape: '\u001b', ctrlC: '\u0003' } as const;

const pinnedDate = fileURLToPath(new URL('./pinned-date.mjs', import.meta.url));

/**
 * The built CLI (`npm run build` first) on a real pseudo-terminal, as the desk meets it: stdin and
 * stdout are a TTY. `at` pins the process's clock to an instant, so its "today" is the test's.
 */
export function onPseudoTerminal(argv: string[], env: Record<string, string>, options: { at?: string; timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const pinned = options.at ? { ROSHNI_TEST_NOW: options.at } : {};
  const nodeArgs = options.at ? ['--import', pinnedDate] : [];
  const pty: IPty = spawn(process.execPath, [...nodeArgs, binPath, ...argv], {
    name: 'xterm-256color',
    cols: 160,
    rows: 40,
    env: childEnv({ ROSHNI_HOME: '/nonexistent/roshni-home', TERM: 'xterm-256color', ...env, ...pinned }) as Record<string, string>,
  });
  let raw = '';
  /** Where the next wait starts looking: text already waited for is not found twice. */
  let seen = 0;
  const listeners = new Set<() => void>();
  pty.onData((data) => {
    raw += data;
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const listener of listeners) listener();
  });
  const plain = () => stripVTControlCharacters(raw);

  return {
    /** Everything shown so far, without colours and cursor movements. */
    shown: plain,
    /** Waits until `text` appears after what was last waited for; fails with what the screen showed. */
    waitFor(text: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const at = plain().indexOf(text, seen);
          if (at >= 0) {
            seen = at + text.length;
            cleanUp();
            resolve();
          } else if (done) {
            cleanUp();
            reject(new Error(`The command ended before showing "${text}". It showed:\n${plain()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`"${text}" did not appear within ${timeoutMs} ms. The terminal showed:\n${plain()}`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    /** Types keys, as a person would, a moment after the prompt has drawn. */
    async type(keys: string): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pty.write(keys);
    },
    /** The exit code, once the command has ended. */
    exitCode: () => exited,
    kill: () => {
      if (!done) pty.kill();
    },
  };
}
