import type { z } from 'zod';

export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

/** An expected failure, told to people as one clear sentence. Doors map `kind` to exit codes or replies. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid', message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, details);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('forbidden', message, details);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** Parses input at the edge of the domain; the first problem becomes one readable sentence. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new InvalidInputError(`${field}${issue.message}`, { issues: result.error.issues.length });
}

interface PostgresError {
  code?: string;
  constraint?: string;
}

/**
 * The database has the last word on double booking, capacity and limits. This turns its
 * constraint violations into domain errors; anything unrecognised is rethrown unchanged.
 */
export function translateConstraintError(error: unknown, messages: Record<string, () => DomainError>): never {
  const pgError = error as PostgresError;
  const make = pgError?.constraint ? messages[pgError.constraint] : undefined;
  if (make && pgError.code && ['23P01', '23514', '23505', '23503'].includes(pgError.code)) throw make();
  throw error;
}

/**
 * A deadlock or serialisation failure means another writer touched the same rows at that moment;
 * the transaction was rolled back whole, so the honest answer is "nothing changed, try again".
 */
export function translateContention(error: unknown): never {
  const code = (error as PostgresError | undefined)?.code;
  if (code === '40P01' || code === '40001') {
    throw new ConflictError('Someone else was changing the same records at that moment, so nothing was saved. Please try again.', {
      reason: 'contention',
    });
  }
  throw error;
}
