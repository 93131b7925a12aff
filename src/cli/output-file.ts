import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConflictError, InvalidInputError } from '../domain/errors.js';

// A file a command writes for the user (`doc get --out`, `report monthly --out`, `patient export
// --out`, `progress --out`): checked before any work is done (and audited), never written over
// without --force, mode 0600, and a path that cannot be written is a clear refusal (exit 2), not a
// crash.

const PATH_PROBLEMS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the name is too long',
};

/** A file system error about `target` as a refusal naming the path; any other error as it is. */
export function outputFileError(target: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  if (code === 'EEXIST') return new ConflictError(`${target} already exists; choose another --out or add --force.`);
  const problem = PATH_PROBLEMS[code];
  return problem ? new InvalidInputError(`Cannot write ${target}: ${problem}.`) : error;
}

/**
 * Where the output will go, resolved; refused now (before the work it would hold) if its folder is
 * missing or not a folder, if it is itself a folder, or if it exists and `overwrite` is not given.
 */
export async function checkOutputFile(path: string, overwrite: boolean): Promise<string> {
  const target = resolve(path);
  const folder = await stat(dirname(target)).catch((error: unknown) => {
    throw outputFileError(target, error);
  });
  if (!folder.isDirectory()) throw outputFileError(target, { code: 'ENOTDIR' });
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) throw outputFileError(target, { code: 'EISDIR' });
  if (existing && !overwrite) throw outputFileError(target, { code: 'EEXIST' });
  return target;
}

/** Writes the output file, 0600: a new file, or with `overwrite` one replacing what was there. */
export async function writeOutputFile(target: string, content: Uint8Array | string, overwrite: boolean): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (overwrite ? constants.O_TRUNC : constants.O_EXCL);
  const handle = await open(target, flags, 0o600).catch((error: unknown) => {
    throw outputFileError(target, error);
  });
  try {
    // An existing file keeps its mode when opened: make it private like a new one.
    await handle.chmod(0o600);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}
