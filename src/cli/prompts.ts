import type { Readable, Writable } from 'node:stream';
import type { z } from 'zod';
import { InvalidInputError } from '../domain/errors.js';
import type { CliIO, CommandEnv } from './io.js';
import { terminalText } from '../infra/terminal-text.js';
import { OperationalError } from '../infra/failure.js';

export class PromptCancelledError extends OperationalError {
  constructor() {
    super('invalid', 'Cancelled; nothing was changed.');
    this.name = 'PromptCancelledError';
  }
}

/** The command's terminal (its stdin and stdout; the process's own unless a test gives others). */
export type PromptIO = Pick<CliIO, 'stdin' | 'stdout'>;

/** What a prompt shows (a patient's name in a choice, say) is cleaned like every printed line. */
const shown = (text: string) => terminalText(text);

/** Terminals a question was put on during this run (keyed by their input stream). */
const asked = new WeakSet<object>();

/** Whether anything was asked on this terminal: a booking the terminal helped build is confirmed before it is written. */
export const anythingAsked = (io: PromptIO): boolean => asked.has(io.stdin);

const streams = (io: PromptIO | undefined) => {
  asked.add(io?.stdin ?? process.stdin);
  return io ? { input: io.stdin as Readable, output: io.stdout as Writable } : {};
};

/** Asks for one value on the terminal, validated by the same zod schema the flag would be. */
export async function askText(options: {
  message: string;
  placeholder?: string;
  initialValue?: string;
  optional?: boolean;
  schema?: z.ZodType;
  io?: PromptIO;
}): Promise<string | undefined> {
  const prompts = await import('@clack/prompts');
  const answer = await prompts.text({
    ...streams(options.io),
    message: shown(options.message),
    ...(options.placeholder ? { placeholder: shown(options.placeholder) } : {}),
    ...(options.initialValue ? { initialValue: terminalText(options.initialValue) } : {}),
    validate: (value) => {
      const text = (value ?? '').trim();
      if (!text) return options.optional ? undefined : 'Required';
      const parsed = options.schema?.safeParse(text);
      return parsed && !parsed.success ? parsed.error.issues[0]?.message : undefined;
    },
  });
  if (prompts.isCancel(answer)) throw new PromptCancelledError();
  const text = (answer ?? '').trim();
  return text || undefined;
}

export async function askSelect<T extends string>(options: {
  message: string;
  choices: Array<{ value: T; label: string; hint?: string }>;
  io?: PromptIO;
}): Promise<T> {
  const prompts = await import('@clack/prompts');
  const answer = await prompts.select({
    ...streams(options.io),
    message: shown(options.message),
    options: options.choices.map((c) => ({ value: c.value, label: shown(c.label), ...(c.hint ? { hint: shown(c.hint) } : {}) })) as never,
  });
  if (prompts.isCancel(answer)) throw new PromptCancelledError();
  return answer as T;
}

export async function askConfirm(message: string, initialValue = false, io?: PromptIO): Promise<boolean> {
  const prompts = await import('@clack/prompts');
  const answer = await prompts.confirm({ ...streams(io), message: shown(message), initialValue });
  if (prompts.isCancel(answer)) throw new PromptCancelledError();
  return answer;
}

/** A value the command needs: the flag's, else asked for on a terminal, else an error naming the flag. */
export async function requireFlag(
  env: CommandEnv,
  value: string | undefined,
  flag: string,
  question: { message: string; placeholder?: string; initialValue?: string; schema?: z.ZodType },
): Promise<string> {
  if (value !== undefined) return value;
  if (!env.interactive) throw new InvalidInputError(`${flag} is required (or run the command in a terminal to be asked).`);
  return (await askText({ ...question, io: env.io }))!;
}
