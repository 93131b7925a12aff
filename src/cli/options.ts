import type { z } from 'zod';
import { InvalidInputError } from '../domain/errors.js';
import { InvalidArgumentError } from 'commander';

/** Commander option parser for a positive whole number (ids, counts). */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) throw new InvalidArgumentError('must be a positive whole number.');
  return Number(value);
}

/** Commander option parser for a whole number ≥ 0 (minutes, buffers). */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

/** Collects a repeatable option into a list: --hours "mon-fri 09:00-13:00" --hours "sat 09:00-13:00". */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a flag's value with the domain's schema; a problem is reported under the flag's name. */
export function parseFlag<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError(`${flag} ${parsed.error.issues[0]!.message}.`);
  return parsed.data;
}
