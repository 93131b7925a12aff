import Table from 'cli-table3';
import { writeLine, type CommandEnv } from './io.js';
import { camelCaseKeys } from './json-keys.js';
import { colourMarker, coloursToMarkers, terminalJson, terminalText } from '../infra/terminal-text.js';

function color(env: CommandEnv, code: number, text: string): string {
  const stream = env.io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
  if (env.io.env.NO_COLOR !== undefined || !stream.isTTY) return text;
  return `${colourMarker(code)}${text}${colourMarker(0)}`;
}

export const bold = (env: CommandEnv, text: string) => color(env, 1, text);
export const dim = (env: CommandEnv, text: string) => color(env, 2, text);
export const yellow = (env: CommandEnv, text: string) => color(env, 33, text);

/** With --json, stdout carries only `data` (its keys camelCase, see json-keys.ts); otherwise the human rendering. */
export function emit(env: CommandEnv, data: unknown, human: () => string | string[]): void {
  if (env.json) {
    writeLine(env.io.stdout, terminalJson(camelCaseKeys(data), 2));
    return;
  }
  const text = human();
  writeLine(env.io.stdout, Array.isArray(text) ? text.join('\n') : text);
}

/** Progress and notes go to stderr so that stdout stays clean for data. */
export function note(env: CommandEnv, text: string): void {
  if (!env.json) writeLine(env.io.stderr, text);
}

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({
    head: head.map((h) => terminalText(h, { oneLine: true })),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '',
    },
  });
  // Each cell one clean line (a name cannot draw a row of its own), its colours real while widths are measured.
  t.push(...rows.map((r) => r.map((cell) => terminalText(String(cell), { oneLine: true }))));
  return coloursToMarkers(t.toString());
}

/** A listing's human text: the table, or `whenEmpty` when there is nothing to list. */
export function tableOr(head: string[], rows: Array<Array<string | number>>, whenEmpty: string): string {
  return rows.length ? table(head, rows) : whenEmpty;
}
