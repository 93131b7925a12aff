import { setChatMessaging } from '../../domain/people/chat-identity.js';
import { setPreferredLanguage } from '../../domain/people/chat-language.js';
import { ask, choice, opt, say, t } from '../engine/kit.js';
import type { StepHandler, Turn } from '../engine/types.js';
import { startBooking } from './book.js';
import { consentChannel, identityOf } from './common.js';
import { startMyAppointments } from './my-appointments.js';
import { startPayDues } from './pay.js';
import { startSharedDocuments } from './shared-documents.js';
import { startTalk } from './talk-to-clinic.js';
import { startWaitlist } from './waitlist.js';

// The menu, help, language and stop/start: the ways into every other flow.

export function showMenu(turn: Turn): void {
  ask(
    turn,
    'menu',
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

const fromMenu: Record<string, (turn: Turn) => Promise<void> | void> = {
  book: (turn) => startBooking(turn),
  mine: (turn) => startMyAppointments(turn),
  pay: (turn) => startPayDues(turn),
  waitlist: (turn) => startWaitlist(turn),
  docs: (turn) => startSharedDocuments(turn),
  talk: (turn) => startTalk(turn),
  language: (turn) => askLanguage(turn),
};

const menu: StepHandler = async (turn) => {
  const picked = choice(turn);
  const start = picked ? fromMenu[picked] : undefined;
  if (!start) {
    say(turn, 'help');
    showMenu(turn);
    return;
  }
  await start(turn);
};

export function askLanguage(turn: Turn): void {
  ask(turn, 'language', t(turn, 'pickLanguage'), [opt('lang:en', 'English'), opt('lang:hi', 'हिन्दी')], {});
}

const language: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked !== 'lang:en' && picked !== 'lang:hi') return showMenu(turn);
  turn.conversation.language = picked === 'lang:hi' ? 'hi' : 'en';
  const who = identityOf(turn);
  if (who) await setPreferredLanguage(turn.ctx, who, turn.conversation.language);
  say(turn, 'languageSet');
  showMenu(turn);
};

/** "stop" and "start", understood at any step once the chat knows who it is. */
export async function setMessaging(turn: Turn, on: boolean): Promise<void> {
  const who = identityOf(turn);
  if (!who) return;
  await setChatMessaging(turn.ctx, who, on, consentChannel(turn.conversation.channel));
  say(turn, on ? 'started' : 'stopped');
  showMenu(turn);
}

export const menuSteps: Record<string, StepHandler> = { menu, language };
