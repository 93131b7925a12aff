import { findByPhone, recordChatAs, registerFromChat, rememberChat, type ChatIdentity } from '../../domain/people/chat-identity.js';
import { personName } from '../../domain/people/contact-details.js';
import { normalizePhone, platformPhone } from '../../domain/people/phone.js';
import { isoDate } from '../../domain/time.js';
import { actorOf } from '../engine/chat-actor.js';
import { ask, choice, data, expectText, opt, say, t, typed, unknownInput } from '../engine/kit.js';
import type { StepHandler, Turn } from '../engine/types.js';
import { consentChannel } from './common.js';
import { showMenu } from './menu.js';

// The first contact: find the person by phone number, or register them with explicit consent. Only
// the platform's word identifies anyone on a chat: WhatsApp's sender (or the number WhatsApp maps an
// @lid to), Telegram's shared contact of the sender's own. A typed number proves nothing (anyone could
// type a family's); it is accepted only in `roshni chat`, where the desk types it.

export async function startIdentify(turn: Turn, clinicName: string): Promise<void> {
  say(turn, 'welcome', { clinic: clinicName });
  if (turn.senderPhone) return identifyByPhone(turn, turn.senderPhone, 'platform');
  if (turn.conversation.channel === 'telegram') return askForContact(turn, 'shareContact');
  if (turn.conversation.channel === 'terminal') return expectText(turn, 'identify.phone', t(turn, 'typePhone'), {});
  return numberNotUsable(turn);
}

/** The platform gave no number Roshni can use: the person is asked to call, and nothing is linked. */
function numberNotUsable(turn: Turn): void {
  say(turn, 'numberNotUsable');
  turn.conversation.state = { step: 'start', data: {}, options: [] };
}

function askForContact(turn: Turn, text: 'shareContact' | 'useContactButton' | 'contactNotUsable'): void {
  turn.replies.push({ kind: 'contact_request', text: t(turn, text), button: t(turn, 'shareContactButton') });
  turn.conversation.state = { step: 'identify.phone', data: {}, options: [] };
}

async function identifyByPhone(turn: Turn, raw: string, from: 'platform' | 'typed'): Promise<void> {
  const phone = from === 'platform' ? platformPhone(raw) : normalizePhone(raw);
  if (!phone && turn.conversation.channel === 'telegram') return askForContact(turn, 'contactNotUsable');
  if (!phone && from === 'platform') return numberNotUsable(turn);
  if (!phone) return expectText(turn, 'identify.phone', t(turn, 'badPhone'), {});
  const who = await findByPhone(turn.ctx, phone);
  if (who) return link(turn, who, 'linked');
  say(turn, 'unknownNumber', { phone });
  ask(turn, 'register.consent', t(turn, 'consentNotice'), [opt('yes', t(turn, 'agree')), opt('no', t(turn, 'disagree'))], { phone });
}

async function link(turn: Turn, who: ChatIdentity, greeting: 'linked' | 'registered'): Promise<void> {
  const c = turn.conversation;
  if (c.channel === 'terminal' && turn.deps.operator) await recordChatAs({ ...turn.ctx, actor: turn.deps.operator }, who);
  c.guardianId = who.kind === 'guardian' ? who.guardianId : null;
  c.patientId = who.kind === 'patient' ? who.patientId : null;
  turn.ctx = { ...turn.ctx, actor: actorOf(c, turn.deps.operator) };
  if (c.channel !== 'terminal') await rememberChat(turn.ctx, who, c.channel, c.chatId);
  say(turn, greeting, { name: who.name });
  showMenu(turn);
}

const phoneStep: StepHandler = async (turn) => {
  const input = turn.input;
  // Telegram: only the button's contact identifies (the adapter passes on the sender's own only). A
  // typed number proves nothing: anyone could type a patient's and read their family's records.
  if (turn.conversation.channel === 'telegram') {
    return input.kind === 'contact' ? identifyByPhone(turn, input.phone, 'platform') : askForContact(turn, 'useContactButton');
  }
  if (turn.conversation.channel !== 'terminal') return numberNotUsable(turn);
  const raw = input.kind === 'contact' ? input.phone : input.kind === 'text' ? input.text : undefined;
  if (!raw) return expectText(turn, 'identify.phone', t(turn, 'typePhone'), {});
  await identifyByPhone(turn, raw, 'typed');
};

const consent: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked === 'no') {
    say(turn, 'noConsent');
    turn.conversation.state = { step: 'start', data: {}, options: [] };
    return;
  }
  if (picked !== 'yes') return unknownInput(turn);
  ask(turn, 'register.for', t(turn, 'forWhom'), [opt('self', t(turn, 'forMe')), opt('child', t(turn, 'forChild'))], {
    phone: data(turn, 'phone'),
    consentedAt: turn.ctx.clock.now().toISOString(),
  });
};

const forWhom: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked !== 'self' && picked !== 'child') return unknownInput(turn);
  expectText(turn, 'register.name', t(turn, 'askYourName'), { ...turn.conversation.state.data, for: picked });
};

/** A name as registration will take it (personName: no control characters or direction overrides), with a letter in it. */
const validName = (text: string | undefined) => {
  const parsed = personName.safeParse(text ?? '');
  return parsed.success && parsed.data.length <= 100 && /\p{L}/u.test(parsed.data) ? parsed.data : undefined;
};

const nameStep: StepHandler = async (turn) => {
  const name = validName(typed(turn));
  if (!name) return expectText(turn, 'register.name', t(turn, 'badName'));
  const stored: Record<string, unknown> = { ...turn.conversation.state.data, fullName: name };
  if (stored.for === 'child') return expectText(turn, 'register.child_name', t(turn, 'askChildName'), stored);
  await register(turn, stored);
};

const childName: StepHandler = async (turn) => {
  const name = validName(typed(turn));
  if (!name) return expectText(turn, 'register.child_name', t(turn, 'badName'));
  expectText(turn, 'register.child_dob', t(turn, 'askChildDob'), { ...turn.conversation.state.data, childName: name });
};

/** "14-03-2019", "14/3/2019", "2019-03-14" → 2019-03-14, if a real date not in the future. */
export function parseDateOfBirth(text: string, today: string): string | undefined {
  const dmy = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(text);
  const candidate = dmy ? `${dmy[3]}-${dmy[2]!.padStart(2, '0')}-${dmy[1]!.padStart(2, '0')}` : text;
  const parsed = isoDate.safeParse(candidate);
  if (!parsed.success || parsed.data > today || parsed.data < '1900-01-01') return undefined;
  return new Date(`${parsed.data}T00:00:00Z`).toISOString().slice(0, 10) === parsed.data ? parsed.data : undefined;
}

const childDob: StepHandler = async (turn) => {
  const today = turn.ctx.clock.now().toISOString().slice(0, 10);
  const dob = parseDateOfBirth(typed(turn) ?? '', today);
  if (!dob) return expectText(turn, 'register.child_dob', t(turn, 'badDob'));
  await register(turn, { ...turn.conversation.state.data, childDateOfBirth: dob });
};

async function register(turn: Turn, stored: Record<string, unknown>): Promise<void> {
  const common = { fullName: String(stored.fullName), phone: String(stored.phone), language: turn.conversation.language };
  const who = await registerFromChat(
    turn.ctx,
    stored.for === 'child'
      ? { for: 'child', ...common, childName: String(stored.childName), childDateOfBirth: String(stored.childDateOfBirth) }
      : { for: 'self', ...common },
    consentChannel(turn.conversation.channel),
  );
  await link(turn, who, 'registered');
}

export const identifySteps: Record<string, StepHandler> = {
  'identify.phone': phoneStep,
  'register.consent': consent,
  'register.for': forWhom,
  'register.name': nameStep,
  'register.child_name': childName,
  'register.child_dob': childDob,
};
