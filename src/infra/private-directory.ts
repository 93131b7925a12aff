import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// ROSHNI_HOME holds the embedded database's files and the signed-in session: whoever can read it can read
// every patient's data. It is created for its owner only (0700), and an existing one that lets the group
// or others in is tightened to 0700 (README: "The embedded database"). What lies inside (the database's
// files, backups, documents) is kept 0600 / 0700 too, whatever the umask or the parent's mode: a home
// made by hand as 0755 must not expose it.

/**
 * A directory whose group or others may only pass through (search, 0711), not list nor write, is still
 * private: run as root, the embedded server's 'postgres' user passes through ROSHNI_HOME (embedded-server.ts).
 */
const LOOSE_DIRECTORY_BITS = 0o066;

/** Makes `path` (and any missing parents) a directory only its owner may list or change; tightens it if it exists. */
export function ensurePrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & LOOSE_DIRECTORY_BITS) !== 0) chmodSync(path, 0o700);
}

/** A file or directory under a private tree that lets the group or others in. */
export interface LooseEntry {
  path: string;
  kind: 'file' | 'directory';
  /** Its permission bits, e.g. 0o644. */
  mode: number;
}

/**
 * Every file and directory in the tree at `root` (itself included; only itself when not `recurse`) that the
 * group or others may use, at most `limit` of them; [] when it does not exist.
 */
export function looseEntries(root: string, options: { limit?: number; recurse?: boolean } = {}): LooseEntry[] {
  const { limit = Infinity, recurse = true } = options;
  const found: LooseEntry[] = [];
  const visit = (path: string) => {
    if (found.length >= limit) return;
    let stat;
    try {
      stat = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (stat.isSymbolicLink()) return; // its own mode means nothing; what it points to is not ours to judge
    const mode = stat.mode & 0o777;
    if (mode & (stat.isDirectory() ? LOOSE_DIRECTORY_BITS : 0o077)) found.push({ path, kind: stat.isDirectory() ? 'directory' : 'file', mode });
    if (recurse && stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return found;
}

/**
 * Takes the group's and others' rights off every file (0600) and directory (0700) in the tree at
 * `root`. PGlite creates its files 0666 whatever the umask, so the embedded database's directory is
 * tightened each time it is opened and closed (a thousand files: a few milliseconds).
 */
export function tightenTree(root: string): void {
  for (const entry of looseEntries(root)) chmodSync(entry.path, entry.kind === 'directory' ? 0o700 : 0o600);
}
