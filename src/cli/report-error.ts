import { CommanderError } from 'commander';
import { isDomainError } from '../domain/errors.js';
import { isConnectionLoss } from '../infra/db/connection-loss.js';
import { ExitCode } from './exit-codes.js';
import { writeLine, type CliIO } from './io.js';
import { OperationalError, type FailureKind } from '../infra/failure.js';

export class NotSignedInError extends OperationalError {
  constructor(message: string) {
    super('not_signed_in', message);
    this.name = 'NotSignedInError';
  }
}

export class SchemaBehindError extends OperationalError {
  constructor(readonly pending: string[]) {
    super('database', `The database needs ${pending.length} migration(s). Run \`roshni db migrate\` first.`);
    this.name = 'SchemaBehindError';
  }
}

/** Besides a lost connection, what stops a command before it has one: an unknown host, a refused password, no such database. */
const CANNOT_CONNECT_CODES = new Set(['ENOTFOUND', '28P01', '3D000']);

function cannotReachDatabase(error: unknown): boolean {
  return isConnectionLoss(error) || CANNOT_CONNECT_CODES.has((error as { code?: string })?.code ?? '');
}

/** The exit code of each kind of failure of Roshni's machinery (src/infra/failure.ts). */
const EXIT_BY_KIND: Record<FailureKind, number> = {
  invalid: ExitCode.invalidInput,
  not_found: ExitCode.notFound,
  conflict: ExitCode.conflict,
  configuration: ExitCode.configuration,
  database: ExitCode.database,
  disk_full: ExitCode.diskFull,
  not_signed_in: ExitCode.notSignedIn,
  unexpected: ExitCode.unexpected,
};

function exitCodeFor(error: unknown): number {
  if (isDomainError(error)) {
    return { invalid: ExitCode.invalidInput, not_found: ExitCode.notFound, conflict: ExitCode.conflict, forbidden: ExitCode.forbidden }[error.kind];
  }
  if (error instanceof OperationalError) return EXIT_BY_KIND[error.kind];
  if (cannotReachDatabase(error)) return ExitCode.database;
  return ExitCode.unexpected;
}

function messageFor(error: unknown): string {
  // An operational failure's message says what to do, even when its kind is "unexpected" (a restore rolled
  // back), or it carries a connection's code (the embedded database stopped with `roshni db stop`).
  if (error instanceof OperationalError || isDomainError(error)) return error.message;
  if (cannotReachDatabase(error)) {
    const code = (error as { code?: string })?.code ?? 'connection lost';
    return `Cannot reach the database (${code}): check DATABASE_URL and that PostgreSQL is running.`;
  }
  const name = error instanceof Error ? error.name : 'Error';
  return `Something unexpected went wrong (${name}). Run again with --debug to see the details.`;
}

/** One line on stderr (the stack only with --debug), and the exit code for this kind of failure. */
export function reportError(io: CliIO, error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
  writeLine(io.stderr, `roshni: ${messageFor(error)}`);
  if (debug && error instanceof Error) writeLine(io.stderr, error.stack ?? String(error));
  return exitCodeFor(error);
}
