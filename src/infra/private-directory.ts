import { chmodSync, mkdirSync, statSync } from 'node:fs';

// ROSHNI_HOME holds the embedded database's files and the signed-in session: whoever can read it can read
// every patient's data. It is created for its owner only (0700), and an existing one that lets the group
// or others in is tightened to 0700 (README: "The embedded database").

/** Makes `path` (and any missing parents) a directory only its owner may enter; tightens it if it exists. */
export function ensurePrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
}
