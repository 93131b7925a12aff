import { z } from 'zod';
import { getClinicSettings } from '../../domain/clinic/settings.js';
import { findByPhone, recordChatAs, registerFromChat, rememberChat, type ChatIdentity } from '../../domain/people/chat-identity.js';
import { personName } from '../../domain/people/contact-details.js';
import { normalizePhone, platformPhone } from '../../domain/people/phone.js';
import { isoDate } from '../../domain/time.js';
import { actorOf } from '../engine/chat-actor.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, expectText, opt, say, t, typed, unknownInput } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';
import { consentChannel, noData } from './common.js';

// The first contact: find the person by phone number, or register them with explicit consent. Only
// the platform's word identifies anyone on a chat: WhatsApp's sender (or the number WhatsApp maps an
// @lid to), Telegram's shared contact of the sender's own. A typed number proves nothing (anyone could
// type a family's); it is accepted only in `roshni chat`, where the desk types it.

async function startIdentify(turn: Turn): Promise<void> {
  const settings = await getClinicSettings(turn.ctx);
  say(turn, 'welcome', { clinic: settings?.name ?? 'the clinic' });
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
  ask(turn, 'identify.consent', t(turn, 'consentNotice'), [opt('yes', t(turn, 'agree')), opt('no', t(turn, 'disagree'))], { phone });
}

async function link(turn: Turn, who: ChatIdentity, greeting: 'linked' | 'registered'): Promise<void> {
  const c = turn.conversation;
  if (c.channel === 'terminal' && turn.deps.operator) await recordChatAs({ ...turn.ctx, actor: turn.deps.operator }, who);
  c.guardianId = who.kind === 'guardian' ? who.guardianId : null;
  c.patientId = who.kind === 'patient' ? who.patientId : null;
  turn.ctx = { ...turn.ctx, actor: actorOf(c, turn.deps.operator) };
  if (c.channel !== 'terminal') await rememberChat(turn.ctx, who, c.channel, c.chatId);
  say(turn, greeting, { name: who.name });
  await turn.goTo('menu');
}

// What registration has collected by each step: the number, the consent, for whom, the names.
const consenting = z.object({ phone: z.string().min(1) });
const consented = consenting.extend({ consentedAt: z.iso.datetime() });
const registering = consented.extend({ for: z.enum(['self', 'child']) });
const named = registering.extend({ fullName: z.string().min(1) });
const childNamed = named.extend({ childName: z.string().min(1) });

const phoneStep = step(noData, async (turn) => {
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
});

const consent = step(consenting, (turn, stored) => {
  const picked = choice(turn);
  if (picked === 'no') {
    say(turn, 'noConsent');
    turn.conversation.state = { step: 'start', data: {}, options: [] };
    return;
  }
  if (picked !== 'yes') return unknownInput(turn);
  ask(turn, 'identify.for', t(turn, 'forWhom'), [opt('self', t(turn, 'forMe')), opt('child', t(turn, 'forChild'))], {
    phone: stored.phone,
    consentedAt: turn.ctx.clock.now().toISOString(),
  });
});

const forWhom = step(consented, (turn, stored) => {
  const picked = choice(turn);
  if (picked !== 'self' && picked !== 'child') return unknownInput(turn);
  expectText(turn, 'identify.name', t(turn, 'askYourName'), { ...stored, for: picked });
});

/** A name as registration will take it (personName: no control characters or direction overrides), with a letter in it. */
const validName = (text: string | undefined) => {
  const parsed = personName.safeParse(text ?? '');
  return parsed.success && parsed.data.length <= 100 && /\p{L}/u.test(parsed.data) ? parsed.data : undefined;
};

const nameStep = step(registering, async (turn, stored) => {
  const fullName = validName(typed(turn));
  if (!fullName) return expectText(turn, 'identify.name', t(turn, 'badName'));
  if (stored.for === 'child') return expectText(turn, 'identify.child_name', t(turn, 'askChildName'), { ...stored, fullName });
  await register(turn, { ...stored, fullName });
});

const childName = step(named, (turn, stored) => {
  const name = validName(typed(turn));
  if (!name) return expectText(turn, 'identify.child_name', t(turn, 'badName'));
  expectText(turn, 'identify.child_dob', t(turn, 'askChildDob'), { ...stored, childName: name });
});

/** "14-03-2019", "14/3/2019", "2019-03-14" → 2019-03-14, if a real date not in the future. */
export function parseDateOfBirth(text: string, today: string): string | undefined {
  const dmy = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(text);
  const candidate = dmy ? `${dmy[3]}-${dmy[2]!.padStart(2, '0')}-${dmy[1]!.padStart(2, '0')}` : text;
  const parsed = isoDate.safeParse(candidate);
  if (!parsed.success || parsed.data > today || parsed.data < '1900-01-01') return undefined;
  return new Date(`${parsed.data}T00:00:00Z`).toISOString().slice(0, 10) === parsed.data ? parsed.data : undefined;
}

const childDob = step(childNamed, async (turn, stored) => {
  const today = turn.ctx.clock.now().toISOString().slice(0, 10);
  const dob = parseDateOfBirth(typed(turn) ?? '', today);
  if (!dob) return expectText(turn, 'identify.child_dob', t(turn, 'badDob'));
  await register(turn, stored, { childName: stored.childName, childDateOfBirth: dob });
});

async function register(turn: Turn, stored: z.infer<typeof named>, child?: { childName: string; childDateOfBirth: string }): Promise<void> {
  const common = { fullName: stored.fullName, phone: stored.phone, language: turn.conversation.language };
  const who = await registerFromChat(
    turn.ctx,
    child ? { for: 'child', ...common, ...child } : { for: 'self', ...common },
    consentChannel(turn.conversation.channel),
  );
  await link(turn, who, 'registered');
}

export const identifyFlow = defineFlow({
  name: 'identify',
  input: z.undefined(),
  start: startIdentify,
  steps: { phone: phoneStep, consent, for: forWhom, name: nameStep, child_name: childName, child_dob: childDob },
});
