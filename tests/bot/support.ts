import { expect } from 'vitest';
import { replyAsText } from '../../src/bot/channels/text-render.js';
import { ConversationEngine } from '../../src/bot/engine/engine.js';
import type { EngineDeps, Reply, Update } from '../../src/bot/engine/types.js';
import type { DomainContext } from '../../src/domain/context.js';

export function engineFor(ctx: DomainContext, extra: Partial<EngineDeps> = {}) {
  return new ConversationEngine({ db: ctx.db, clock: ctx.clock, timezone: ctx.timezone, ...extra });
}

/** A person chatting on one chat: writes, presses options by (part of) their label, and sees replies. */
export function chatter(engine: ConversationEngine, chatId: string, options: { channel?: Update['channel']; senderPhone?: string } = {}) {
  let last: Reply[] = [];
  const send = async (input: Update['input']) => {
    last = await engine.handle({ channel: options.channel ?? 'terminal', chatId, input, ...(options.senderPhone ? { senderPhone: options.senderPhone } : {}) });
    return last;
  };
  const lastChoices = () => [...last].reverse().find((r): r is Extract<Reply, { kind: 'choices' }> => r.kind === 'choices');
  return {
    get replies() {
      return last;
    },
    text: () => last.map(replyAsText).join('\n'),
    options: () => lastChoices()?.options ?? [],
    write: (text: string) => send({ kind: 'text', text }),
    pressValue: (value: string) => send({ kind: 'choice', value }),
    async press(label: string | RegExp | number) {
      const options = lastChoices()?.options ?? [];
      const option = typeof label === 'number' ? options[label] : options.find((o) => (typeof label === 'string' ? o.label.includes(label) : label.test(o.label)));
      expect(option, `option ${String(label)} among ${options.map((o) => o.label).join(' | ')}`).toBeDefined();
      return send({ kind: 'choice', value: option!.value });
    },
    switchEngine(next: ConversationEngine) {
      engine = next;
    },
  };
}
