import { chmodSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

// `roshni login`: the staff username this machine's CLI acts as, kept in ROSHNI_HOME/session.json
// (mode 0600), as an alternative to setting ROSHNI_USER. ROSHNI_USER, when set, wins.

export function loginFile(home: string): string {
  return join(home, 'session.json');
}

export function readLoggedInUser(home: string): string | undefined {
  try {
    const data = JSON.parse(readFileSync(loginFile(home), 'utf8')) as { username?: unknown };
    return typeof data.username === 'string' && /^[a-z][a-z0-9._-]{1,31}$/.test(data.username) ? data.username : undefined;
  } catch {
    return undefined;
  }
}

export function writeLogin(home: string, username: string, at: Date): string {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = loginFile(home);
  writeFileSync(path, `${JSON.stringify({ username, at: at.toISOString() })}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an older file keeps its mode on write
  return path;
}

export function removeLogin(home: string): void {
  rmSync(loginFile(home), { force: true });
}
