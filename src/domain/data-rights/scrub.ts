// Taking a person's identifiers out of free text and JSON kept for other reasons (a refund's reason,
// a receipt as issued, an old audit entry, a webhook's payload): each occurrence of their name, a
// word of it, their phone number (in any spacing) or email becomes "[erased]".

export const ERASED = '[erased]';

export interface Identity {
  full_name: string;
  phone: string | null;
  email: string | null;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A whole word (any script): not inside a longer word. */
const word = (pattern: string) => `(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}\\p{N}])`;

/** Digits of a phone number with any spaces, dashes or dots between them. */
const spacedDigits = (digits: string) => digits.split('').map(escape).join('[\\s.-]*');

/**
 * One pattern matching any identifier of these people: whole names, emails and phone numbers first
 * (the longest first), then, with `words` (the default), each word of a name: for the person's own
 * records. Without words: for the records of someone kept (a guardian's chat may name the surname
 * they share).
 */
export function identifierPattern(people: Identity[], options: { words?: boolean } = {}): RegExp | null {
  const whole: Array<{ text: string; pattern: string }> = [];
  const words = new Set<string>();
  for (const person of people) {
    const name = person.full_name.trim();
    if (name) whole.push({ text: name, pattern: escape(name).replace(/\s+/g, '\\s+') });
    if (person.email) whole.push({ text: person.email, pattern: escape(person.email) });
    if (person.phone) {
      const digits = person.phone.replace(/\D/g, '');
      whole.push({ text: digits, pattern: `\\+?${spacedDigits(digits)}` });
      // The national number on its own (the last ten digits in India).
      if (digits.length > 10) whole.push({ text: digits.slice(-10), pattern: word(spacedDigits(digits.slice(-10))) });
    }
    // Words of the name long enough to mean something ("Aarav", "Gupta"; not "K.").
    if (options.words !== false) for (const w of name.split(/\s+/)) if (w.replace(/[^\p{L}\p{N}]/gu, '').length >= 3) words.add(word(escape(w)));
  }
  const parts = [...whole.sort((a, b) => b.text.length - a.text.length).map((w) => w.pattern), ...words];
  return parts.length ? new RegExp(parts.join('|'), 'giu') : null;
}

export function scrubText(text: string, pattern: RegExp | null): string {
  return pattern ? text.replace(pattern, ERASED) : text;
}

/** A copy of a JSON value with every identifier taken out of its strings (keys are kept). */
export function scrubJson<T>(value: T, pattern: RegExp | null): T {
  if (!pattern) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubText(v, pattern);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

export function mentions(value: unknown, pattern: RegExp | null): boolean {
  if (!pattern || value == null) return false;
  pattern.lastIndex = 0;
  const found = pattern.test(typeof value === 'string' ? value : JSON.stringify(value));
  pattern.lastIndex = 0;
  return found;
}
