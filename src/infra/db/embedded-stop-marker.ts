import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError } from '../failure.js';
import { embeddedServerLayout } from './embedded-server-layout.js';

// `roshni db stop` is deliberate: it leaves ROSHNI_HOME/pg/stopped-by-hand, and a long-running process
// (`roshni start`) that loses the server does not start it again while that file is there. A command a
// person runs starts it as always, and removes the file.

const markerPath = (home: string) => join(embeddedServerLayout(home).pgDir, 'stopped-by-hand');

/** Who stopped it and when, for whoever finds the file (a uid and pid, nothing about the clinic's people). */
export function markStoppedByHand(home: string, stoppedAt: Date): void {
  const who = { stoppedAt: stoppedAt.toISOString(), by: 'roshni db stop', pid: process.pid, uid: process.getuid?.() ?? null };
  writeFileSync(markerPath(home), `${JSON.stringify(who)}\n`, { mode: 0o600 });
}

export function isStoppedByHand(home: string): boolean {
  return existsSync(markerPath(home));
}

export function clearStoppedByHand(home: string): void {
  rmSync(markerPath(home), { force: true });
}

/**
 * Met by a connection that finds the server down after `roshni db stop`. Its code is SQLSTATE 08001
 * (the client could not connect), so the dispatcher and the parts of `roshni start` take it as the
 * database being away, as for a server restarting, and come back once a command has started it.
 */
export class EmbeddedServerStoppedError extends OperationalError {
  readonly code = '08001';
  constructor(options?: ErrorOptions) {
    super('database', 'The embedded database was stopped with `roshni db stop`: start it again with `roshni db start` (or any other command).', options);
    this.name = 'EmbeddedServerStoppedError';
  }
}
