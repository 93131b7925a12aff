import { CommanderError } from 'commander';
import { isDomainError } from '../domain/errors.js';
import { isConnectionLoss } from '../infra/db/connection-loss.js';
import { ExitCode } from './exit-codes.js';
import { writeLine, type CliIO } from './io.js';

export class NotSignedInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotSignedInError';
  }
}

export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    super(`The database needs ${pending.length} migration(s). Run \`roshni db migrate\` first.`);
    this.name = 'SchemaBehindError';
  }
}

/** Besides a lost connection, what stops a command before it has one: an unknown host, a refused password, no such database. */
const CANNOT_CONNECT_CODES = new Set(['ENOTFOUND', '28P01', '3D000']);

function cannotReachDatabase(error: unknown): boolean {
  return isConnectionLoss(error) || CANNOT_CONNECT_CODES.has((error as { code?: string })?.code ?? '');
}

function exitCodeFor(error: unknown): number {
  if (isDomainError(error)) {
    return { invalid: ExitCode.invalidInput, not_found: ExitCode.notFound, conflict: ExitCode.conflict, forbidden: ExitCode.forbidden }[
      error.kind
    ];
  }
  // Matched by name so that this module (loaded by every command) does not load the database layer.
  const name = error instanceof Error ? error.name : '';
  if (name === 'ConfigError') return ExitCode.configuration;
  if (name === 'NotSignedInError') return ExitCode.notSignedIn;
  if (['EmbeddedDatabaseBusyError', 'SchemaBehindError', 'MigrationError'].includes(name)) return ExitCode.database;
  if (name === 'PromptCancelledError') return ExitCode.invalidInput;
  if (cannotReachDatabase(error)) return ExitCode.database;
  return ExitCode.unexpected;
}

function messageFor(error: unknown): string {
  if (cannotReachDatabase(error)) {
    const code = (error as { code?: string })?.code ?? 'connection lost';
    return `Cannot reach the database (${code}): check DATABASE_URL and that PostgreSQL is running.`;
  }
  if (error instanceof Error && exitCodeFor(error) !== ExitCode.unexpected) return error.message;
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
