import { execFileSync } from 'node:child_process';

// How Roshni runs PostgreSQL's own programs (initdb, pg_ctl, postgres): for the embedded server
// (embedded-server.ts) and the test suite's throwaway one (throwaway-postgres.ts).

export interface ServerOwner {
  uid: number;
  gid: number;
}

/**
 * The server keeps the machine's real clock even when the suite runs under libfaketime
 * (scripts/test-at-instants.sh): there, PostgreSQL's own timers (deadlock detection,
 * statement_timeout, lock_timeout) stop firing. Roshni's time comes from its own clock, never the server's.
 */
export function serverEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.LD_PRELOAD?.includes('faketime')) delete env.LD_PRELOAD;
  for (const name of Object.keys(env)) if (name.startsWith('FAKETIME')) delete env[name];
  return env;
}

export class NoServerUserError extends Error {
  constructor(advice: string) {
    super(`Running as root, but there is no 'postgres' user to run PostgreSQL as: ${advice}.`);
    this.name = 'NoServerUserError';
  }
}

/** PostgreSQL refuses to run as root, so root runs it as the 'postgres' user (undefined: run it as ourselves). */
export function serverOwner(advice = 'create one (useradd --system postgres) or set DATABASE_URL'): ServerOwner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new NoServerUserError(advice);
  }
}
