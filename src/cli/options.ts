import { z } from 'zod';
import { parseInput } from '../domain/errors.js';
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
  return parseInput(z.object({ [flag]: schema }), { [flag]: value })[flag] as z.infer<S>;
}
