import { translate, type MessageKey } from './i18n.js';
import type { Option, StepId, Turn } from './types.js';

// Small helpers every flow uses to speak, ask and move on.

export const t = (turn: Turn, key: MessageKey, values?: Record<string, string | number>) => translate(turn.conversation.language, key, values);

export function say(turn: Turn, key: MessageKey, values?: Record<string, string | number>): void {
  turn.replies.push({ kind: 'text', text: t(turn, key, values) });
}

/** Offers options and waits at `step` for one of them. */
export function ask(turn: Turn, step: StepId, text: string, options: Option[], data?: Record<string, unknown>): void {
  turn.replies.push({ kind: 'choices', text, options });
  turn.conversation.state = { step, data: data ?? turn.conversation.state.data, options };
}

/** Offers `options` at `step`; when there are none, says `none` and goes back to the menu. */
export async function offerOrMenu(turn: Turn, step: StepId, question: string, options: Option[], none: MessageKey): Promise<void> {
  if (!options.length) {
    say(turn, none);
    return turn.goTo('menu');
  }
  ask(turn, step, question, options, {});
}

/** Waits at `step` for typed text. */
export function expectText(turn: Turn, step: StepId, text: string, data?: Record<string, unknown>): void {
  turn.replies.push({ kind: 'text', text });
  turn.conversation.state = { step, data: data ?? turn.conversation.state.data, options: [] };
}

/** The choice made, if the input was one of the offered options. */
export function choice(turn: Turn): string | undefined {
  return turn.input.kind === 'choice' ? turn.input.value : undefined;
}

export function typed(turn: Turn): string | undefined {
  return turn.input.kind === 'text' ? turn.input.text.trim() : undefined;
}

/** Input the step cannot use: say so and offer the same options again. */
export function unknownInput(turn: Turn): void {
  const { options } = turn.conversation.state;
  if (options.length) {
    turn.replies.push({ kind: 'choices', text: t(turn, 'unknownInput'), options });
    return;
  }
  say(turn, 'help');
}

export const opt = (value: string, label: string): Option => ({ value, label });
