import { InvalidArgumentError, type Command } from 'commander';
import { InvalidInputError } from '../domain/errors.js';

// Every value typed on the command line enters here. A value parser (src/cli/options.ts) says what
// is wrong with a value; this names the option as it was typed, so that a bad value is one line,
// exit 2: "roshni: --from: "31/02" must be a date as YYYY-MM-DD." No option takes control characters
// (tab and newline aside, for notes): they are refused before any parser sees them.

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const SHOWN_CONTROL = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/** The value as it is repeated in a message: cleaned, quoted, and cut when long. */
function quoted(value: string): string {
  const clean = value.replace(SHOWN_CONTROL, '');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 39)}…` : clean);
}

/** `--from: "31/02" must be a date as YYYY-MM-DD.`: the option, the value as typed, what is wrong with it. */
export function valueProblem(name: string, value: string, message: string): InvalidInputError {
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  const joined = /^[a-z(]/.test(sentence) ? `${quoted(value)} ${sentence}` : `${quoted(value)}: ${sentence}`;
  return new InvalidInputError(`${name}: ${joined}`, { option: name });
}

type Parser = (value: string, previous: unknown) => unknown;

function namedParser(name: string, parse: Parser | undefined, refuseControl: boolean): Parser {
  return (value, previous) => {
    if (refuseControl && CONTROL.test(value)) throw new InvalidInputError(`${name}: must not contain control characters.`, { option: name });
    if (!parse) return value;
    try {
      return parse(value, previous);
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw valueProblem(name, value, error.message);
      throw error;
    }
  };
}

/**
 * Wraps the value parser of every option and argument of `command` and its subcommands, so that a
 * refused value names its option (or <argument>) and exits 2 instead of Commander's own message.
 */
export function nameOptionsInValueErrors(command: Command): void {
  for (const option of command.options) {
    if (!option.required && !option.optional) continue; // a switch takes no value
    if (option.variadic && !option.parseArg) continue; // Commander collects these itself
    option.parseArg = namedParser(option.long ?? option.short ?? option.flags, option.parseArg as Parser | undefined, true) as never;
  }
  for (const argument of command.registeredArguments) {
    // What an argument names (a patient, a file…) is looked up, and not found if it holds anything odd.
    if (argument.parseArg) argument.parseArg = namedParser(`<${argument.name()}>`, argument.parseArg as Parser, false) as never;
  }
  for (const sub of command.commands) nameOptionsInValueErrors(sub);
}
