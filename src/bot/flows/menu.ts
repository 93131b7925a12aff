import { z } from 'zod';
import { setChatMessaging } from '../../domain/people/chat-identity.js';
import { ask, choice, opt, say, t } from '../engine/kit.js';
import { defineFlow, step } from '../engine/flow.js';
import type { FlowName, Turn } from '../engine/types.js';
import { consentChannel, identityOf, noData } from './common.js';

// The menu, help and stop/start: the ways into every other flow.

function showMenu(turn: Turn): void {
  ask(
    turn,
    'menu.choose',
    t(turn, 'menu'),
    [
      opt('book', t(turn, 'menuBook')),
      opt('mine', t(turn, 'menuMine')),
      opt('pay', t(turn, 'menuPay')),
      opt('waitlist', t(turn, 'menuWaitlist')),
      opt('docs', t(turn, 'menuDocuments')),
      opt('talk', t(turn, 'menuTalk')),
      opt('language', t(turn, 'menuLanguage')),
    ],
    {},
  );
}

const fromMenu: Record<string, FlowName> = {
  book: 'book',
  mine: 'my-appointments',
  pay: 'pay',
  waitlist: 'waitlist',
  docs: 'shared-documents',
  talk: 'talk-to-clinic',
  language: 'language',
};

/** "stop" and "start", understood at any step once the chat knows who it is. */
async function setMessaging(turn: Turn, on: boolean): Promise<void> {
  const who = identityOf(turn);
  if (!who) return;
  await setChatMessaging(turn.ctx, who, on, consentChannel(turn.conversation.channel));
  say(turn, on ? 'started' : 'stopped');
  showMenu(turn);
}

export const menuFlow = defineFlow({
  name: 'menu',
  /** Nothing to show the menu; `messaging` to turn reminders and offers on or off first. */
  input: z.object({ messaging: z.boolean() }).optional(),
  start: (turn, input) => (input ? setMessaging(turn, input.messaging) : showMenu(turn)),
  steps: {
    choose: step(noData, async (turn) => {
      const picked = choice(turn);
      const next = picked ? fromMenu[picked] : undefined;
      if (!next) {
        say(turn, 'help');
        return showMenu(turn);
      }
      await turn.goTo(next);
    }),
  },
});
