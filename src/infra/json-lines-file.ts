import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

// A file of JSON lines kept beside the backups (audit anchors, erasures): only ever appended to, its
// owner's only, and read tolerantly: a line that is not JSON or not of the expected shape is counted
// and skipped, never the end of the reading.

/** The file's lines that are `T`, in order, and how many could not be read. */
export function readJsonLines<T>(file: string, isValid: (value: unknown) => value is T): { values: T[]; unreadable: number } {
  if (!existsSync(file)) return { values: [], unreadable: 0 };
  const values: T[] = [];
  let unreadable = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    if (isValid(value)) values.push(value);
    else unreadable++;
  }
  return { values, unreadable };
}

/** Appends one line per value (the folder made 0700, the file 0600 when new). */
export function appendJsonLines(file: string, values: unknown[]): void {
  if (!values.length) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${values.map((v) => JSON.stringify(v)).join('\n')}\n`, { mode: 0o600 });
}
