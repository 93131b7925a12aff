import type { z } from 'zod';
import { InvalidArgumentError, type Command } from 'commander';
import { rupees, positiveRupees } from '../domain/money.js';
import { clockTime, isoDate, isoMonth, localDateTime } from '../domain/time.js';
import { valueProblem } from './option-errors.js';

// Value parsers of options and arguments. Each refuses a bad value with InvalidArgumentError; the
// program (src/cli/option-errors.ts) names the option in the message and exits 2.

/** Ids in the database are PostgreSQL integers; counts are kept to the same range. */
const LARGEST = 2_147_483_647;

/** Commander option parser for a positive whole number (ids, counts). */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) throw new InvalidArgumentError('must be a positive whole number.');
  if (Number(value) > LARGEST) throw new InvalidArgumentError(`must be at most ${LARGEST}.`);
  return Number(value);
}

/** Commander option parser for a whole number ≥ 0 (minutes, buffers). */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number.');
  if (Number(value) > LARGEST) throw new InvalidArgumentError(`must be at most ${LARGEST}.`);
  return Number(value);
}

/** Collects a repeatable option into a list: --hours "mon-fri 09:00-13:00" --hours "sat 09:00-13:00". */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A Commander value parser made of one of the domain's schemas: its value, or its first problem. */
export function checkedBy<S extends z.ZodType>(schema: S): (value: string) => z.output<S> {
  return (value) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]!.message);
    return parsed.data;
  };
}

/** A clinic date, YYYY-MM-DD, that is on the calendar. */
export const dateValue = checkedBy(isoDate);

/** --from and --to, the clinic dates a listing is filtered by (both optional, --to inclusive). */
export function withDateFilter(command: Command): Command {
  return command.option('--from <date>', 'from this clinic date (YYYY-MM-DD)', dateValue).option('--to <date>', 'to this clinic date, inclusive', dateValue);
}

/** A month, YYYY-MM. */
export const monthValue = checkedBy(isoMonth);

/** A start: "YYYY-MM-DD HH:MM", or just HH:MM (a weekly series). Kept as typed, trimmed. */
export function startValue(value: string): string {
  const text = value.trim();
  if (/^\d{1,2}:\d{2}$/.test(text)) {
    checkedBy(clockTime)(text);
    return text;
  }
  checkedBy(localDateTime)(text);
  return text;
}

/** Rupees as typed ("850", "1,000.50", "₹850") → paise; zero allowed (a free service). */
export const rupeesValue = checkedBy(rupees);

/** Rupees more than zero → paise (a payment, a refund, a package's price). */
export const positiveRupeesValue = checkedBy(positiveRupees);

/** Parses a flag's value with the domain's schema; a problem is reported under the flag's name. */
export function parseFlag<S extends z.ZodType>(schema: S, value: string, flag: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw valueProblem(flag, value, parsed.error.issues[0]!.message);
  return parsed.data;
}
