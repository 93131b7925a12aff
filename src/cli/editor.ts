import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../domain/errors.js';
import type { CommandEnv } from './io.js';

/** The user's editor ($VISUAL, else $EDITOR), if they have one. */
export function configuredEditor(env: CommandEnv): string | undefined {
  return env.io.env.VISUAL ?? env.io.env.EDITOR;
}

/**
 * Opens `text` in the editor, in a private temporary file (0600, removed afterwards), and returns
 * what was saved. An editor that fails leaves nothing written.
 */
export function editInEditor(editor: string, fileName: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'roshni-edit-'));
  const file = join(dir, fileName);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    const result = spawnSync(editor, [file], { stdio: 'inherit', shell: true });
    if (result.status !== 0) throw new InvalidInputError(`The editor (${editor}) exited with ${result.status}; nothing was written.`);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
