// The full ("max") metadata: besides validity it knows each range's type, mobile or landline. It
// costs ~10 ms more to load than "min", and only commands that handle phone numbers load this module.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

/**
 * Any way a phone number is written → E.164: Indian ones in any form ("98765 43210", "098765-43210",
 * "+91 98765 43210"), others with their "+" and country code. An Indian number must be a valid one (it
 * catches the desk's typos); a foreign number whose range is newer than libphonenumber's metadata, or
 * whose code it does not know (+882…), is taken as written when its length is possible: the metadata
 * must not lock a real person out.
 */
export function normalizePhone(input: string): string | null {
  const text = input.trim();
  const parsed = parsePhoneNumberFromString(text, 'IN');
  if (parsed?.isValid()) return parsed.number;
  const international = /^(?:\+|00)/.test(text) ? `+${text.replace(/^(?:\+|00)/, '').replace(/[\s().-]/g, '')}` : null;
  if (!international || !E164.test(international)) return null;
  if (parsed?.country === 'IN' || international.startsWith('+91')) return null;
  return !parsed?.country || parsed.isPossible() ? international : null;
}

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * A number the chat platform itself vouches for (WhatsApp's sender, Telegram's shared contact): always
 * international, with or without its "+". Telegram's "6591234567" is Singapore's +65, never an Indian
 * number read without its code.
 */
export function platformPhone(input: string): string | null {
  const digits = input.trim().replace(/^\+/, '');
  return /^\d+$/.test(digits) ? normalizePhone(`+${digits}`) : null;
}

export const phoneNumber = z.string().transform((value, ctx) => {
  const e164 = normalizePhone(value);
  if (!e164) {
    ctx.addIssue({ code: 'custom', message: 'must be a valid phone number, e.g. 98765 43210 or +91 98765 43210' });
    return z.NEVER;
  }
  return e164;
});

/**
 * What a number can do, by libphonenumber's full validation and number type: `mobile` receives
 * messages (SMS, WhatsApp), `landline` (fixed line, toll-free, VoIP, pager…) does not; `unknown` is a
 * foreign number newer than the metadata, taken as written (see normalizePhone).
 */
export function phoneKind(e164: string): 'mobile' | 'landline' | 'unknown' {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.isValid()) return 'unknown';
  const type = parsed.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' ? 'mobile' : type === undefined ? 'unknown' : 'landline';
}

/**
 * A number the clinic sends messages to (a patient's, a guardian's, a therapist's): a valid number that
 * is a mobile one. "12345 67890" is a valid Indian landline, and every reminder to it would fail.
 */
export const messagingPhone = phoneNumber.transform((e164, ctx) => {
  if (phoneKind(e164) !== 'landline') return e164;
  ctx.addIssue({
    code: 'custom',
    message: `is a landline (${displayPhone(e164)}), which cannot receive messages: give a mobile number, e.g. 98765 43210`,
  });
  return z.NEVER;
});

/** A stored (E.164) number as people read it: "+91 98765 43210". Machine output keeps E.164. */
export function displayPhone(e164: string | null | undefined): string {
  if (!e164) return '';
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
