import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
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

/** A stored (E.164) number as people read it: "+91 98765 43210". Machine output keeps E.164. */
export function displayPhone(e164: string | null | undefined): string {
  if (!e164) return '';
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
