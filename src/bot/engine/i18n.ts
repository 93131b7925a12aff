import { formatRupees } from '../../domain/money.js';
import { formatFriendly } from '../../domain/time.js';
import { en, type MessageKey } from './i18n.en.js';
import { hi } from './i18n.hi.js';
import type { Language } from './types.js';

export type { MessageKey };

const catalogues: Record<Language, Record<MessageKey, string>> = { en, hi };

/** A message in the chat's language, with {placeholders} filled in. */
export function translate(language: Language, key: MessageKey, values: Record<string, string | number> = {}): string {
  // Trimmed: a sentence ending in an optional part ("… cancelled. {charge}") may end with it empty.
  return catalogues[language][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? '')).trim();
}

/** "Thu 26 Nov, 09:00" / "गुरु, 26 नव॰, 09:00", always in the clinic's zone (IST). */
export function friendlyTime(instant: Date, timeZone: string, language: Language): string {
  return formatFriendly(instant, timeZone, language === 'hi' ? 'hi-IN' : 'en-IN');
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** "Thu 26 Nov" for a clinic date (YYYY-MM-DD). */
export function friendlyDay(date: string, language: Language): string {
  let formatter = dayFormatters.get(language);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(language === 'hi' ? 'hi-IN' : 'en-IN', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
    dayFormatters.set(language, formatter);
  }
  return formatter.format(new Date(`${date}T00:00:00Z`));
}

export const money = (paise: number) => formatRupees(paise);
