import { z } from 'zod';
import { setPreferredLanguage } from '../../domain/people/chat-language.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, opt, say, t } from '../engine/kit.js';
import { identityOf, noData } from './common.js';

// English or हिन्दी, remembered for the family (reminders come in it too).

export const languageFlow = defineFlow({
  name: 'language',
  input: z.undefined(),
  start: (turn) => ask(turn, 'language.pick', t(turn, 'pickLanguage'), [opt('lang:en', 'English'), opt('lang:hi', 'हिन्दी')], {}),
  steps: {
    pick: step(noData, async (turn) => {
      const picked = choice(turn);
      if (picked !== 'lang:en' && picked !== 'lang:hi') return turn.goTo('menu');
      turn.conversation.language = picked === 'lang:hi' ? 'hi' : 'en';
      const who = identityOf(turn);
      if (who) await setPreferredLanguage(turn.ctx, who, turn.conversation.language);
      say(turn, 'languageSet');
      await turn.goTo('menu');
    }),
  },
});
