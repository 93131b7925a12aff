import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDirectory } from '../infra/private-directory.js';

// `roshni login` keeps the session token in ROSHNI_HOME/session.json (mode 0600). The database binds the
// session to the operating-system user and machine that signed in, so the file copied to another user or
// computer opens nothing.

const sessionFile = z.object({ username: z.string(), token: z.string().regex(/^rsh_[0-9a-f]{64}$/) });
export type SessionFile = z.infer<typeof sessionFile>;

export function sessionFilePath(home: string): string {
  return join(home, 'session.json');
}

export function readSessionFile(home: string): SessionFile | undefined {
  try {
    const parsed = sessionFile.safeParse(JSON.parse(readFileSync(sessionFilePath(home), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeSessionFile(home: string, session: SessionFile): string {
  ensurePrivateDirectory(home);
  const path = sessionFilePath(home);
  writeFileSync(path, `${JSON.stringify(session)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an older file keeps its mode on write
  return path;
}

export function removeSessionFile(home: string): void {
  rmSync(sessionFilePath(home), { force: true });
}

/** Who signs in from where, as the session records it: the operating-system user and the machine. */
export function thisMachine(): string {
  return `${userInfo().username}@${hostname()}`;
}
