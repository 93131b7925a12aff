import { findPhoneNumbersInText } from 'libphonenumber-js/min';
import { dateOfBirthPattern } from './date-of-birth-pattern.js';

// Taking a person's identifiers out of free text and JSON kept for other reasons (a refund's reason,
// a receipt as issued, an old audit entry, a kept guardian's chat): each occurrence of their name, a
// word of it, their email, their date of birth as people write it, and their phone number however it
// is written becomes "[erased]".

export const ERASED = '[erased]';
export const ERASED_PATIENT_NAME = 'Erased patient';
export const ERASED_GUARDIAN_NAME = 'Erased guardian';

export interface Identity {
  full_name: string;
  phone: string | null;
  email: string | null;
  /** YYYY-MM-DD: patients have one, guardians do not. */
  date_of_birth?: string | null;
}

export interface Scrubber {
  text(text: string): string;
  /** A copy of a JSON value with every identifier taken out of its strings (keys are kept). */
  json<T>(value: T): T;
  mentions(value: unknown): boolean;
}

export interface ScrubOptions {
  /**
   * Words never taken out alone (whole names still are): in a kept guardian's chat, the words of the
   * names of the people kept (the guardian's own surname, a sibling's first name), so "Aarav has fever"
   * loses Aarav while "Diya Gupta" stays.
   */
  keepWords?: string[];
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A whole word (any script): not inside a longer word. */
const word = (pattern: string) => `(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}\\p{N}])`;

/** Digits of a phone number with any spaces, dashes or dots between them. */
const spacedDigits = (digits: string) => digits.split('').map(escape).join('[\\s.-]*');

/** A run of text that may hold phone numbers: digits with the marks people write between them (a bracket opening an area code, not one around the number). */
const PHONE_LIKE = /(?:\(\d|[+\d])[\d\s().+-]*\d/g;

const letters = (w: string) => w.replace(/[^\p{L}\p{N}]/gu, '');

/**
 * A scrubber for these people. Phone numbers are found as numbers, not as strings: every phone-like
 * sequence is read with libphonenumber (default region India) and compared in E.164, so
 * "0973 114 8826", "(973) 114-8826" and "91 97311 48826" are all +91 97311 48826.
 */
export function scrubberFor(people: Identity[], options: ScrubOptions = {}): Scrubber {
  const keep = new Set((options.keepWords ?? []).map((w) => letters(w).toLocaleLowerCase()));
  const whole: Array<{ text: string; pattern: string }> = [];
  const words = new Set<string>();
  const phones = new Set<string>();
  for (const person of people) {
    const name = person.full_name.trim();
    if (name) whole.push({ text: name, pattern: escape(name).replace(/\s+/g, '\\s+') });
    if (person.email) whole.push({ text: person.email, pattern: escape(person.email) });
    if (person.phone) {
      phones.add(person.phone);
      // As stored digits too, for a number libphonenumber's metadata does not know.
      const digits = person.phone.replace(/\D/g, '');
      whole.push({ text: digits, pattern: `\\+?${spacedDigits(digits)}` });
    }
    if (person.date_of_birth) whole.push({ text: person.date_of_birth, pattern: dateOfBirthPattern(person.date_of_birth) });
    // Words of the name long enough to mean something ("Aarav", "Gupta"; not "K.").
    for (const w of name.split(/\s+/)) if (letters(w).length >= 3 && !keep.has(letters(w).toLocaleLowerCase())) words.add(word(escape(w)));
  }
  const parts = [...whole.sort((a, b) => b.text.length - a.text.length).map((w) => w.pattern), ...words];
  const pattern = parts.length ? new RegExp(parts.join('|'), 'giu') : null;

  const text = (input: string): string => {
    let out = phones.size ? input.replace(PHONE_LIKE, (run) => scrubPhones(run, phones)) : input;
    if (pattern) out = out.replace(pattern, ERASED);
    return out;
  };
  const json = <T>(value: T): T => {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return text(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  };
  const mentions = (value: unknown): boolean => {
    if (value == null) return false;
    const written = typeof value === 'string' ? value : JSON.stringify(value);
    return text(written) !== written;
  };
  return { text, json, mentions };
}

/** The run with each number in it that is one of these (E.164) replaced. */
function scrubPhones(run: string, phones: Set<string>): string {
  const found = findPhoneNumbersInText(run, 'IN').filter((f) => phones.has(f.number.number));
  let out = run;
  for (const f of found.reverse()) out = `${out.slice(0, f.startsAt)}${ERASED}${out.slice(f.endsAt)}`;
  return out;
}
