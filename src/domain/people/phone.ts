import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { z } from 'zod';

/** Any way an Indian phone number is written ("98765 43210", "098765-43210", "+91 98765 43210") → E.164. */
export function normalizePhone(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), 'IN');
  return parsed?.isValid() ? parsed.number : null;
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
