// A date of birth as people write it in notes and chats, for erasure: 02/11/2018, 2/11/18,
// 02-11-2018, 02.11.2018, 2018-11-02, "2 Nov 2018", "2nd November, 2018", "Nov 2, 2018", "2 नवंबर 2018".
// Day before month (as in India); never matched inside a longer number.

const MONTHS: Array<readonly string[]> = [
  ['jan', 'january', 'जनवरी'],
  ['feb', 'february', 'फरवरी', 'फ़रवरी'],
  ['mar', 'march', 'मार्च'],
  ['apr', 'april', 'अप्रैल'],
  ['may', 'मई'],
  ['jun', 'june', 'जून'],
  ['jul', 'july', 'जुलाई'],
  ['aug', 'august', 'अगस्त'],
  ['sep', 'sept', 'september', 'सितंबर', 'सितम्बर'],
  ['oct', 'october', 'अक्टूबर', 'अक्तूबर'],
  ['nov', 'november', 'नवंबर', 'नवम्बर'],
  ['dec', 'december', 'दिसंबर', 'दिसम्बर'],
];

/** One number, with or without its leading zero: 2 → "0?2", 11 → "11". */
const number = (n: number) => (n < 10 ? `0?${n}` : `${n}`);

/** A regular expression source (for the 'iu' flags) matching `isoDate` (YYYY-MM-DD) as people write it. */
export function dateOfBirthPattern(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  const d = number(day);
  const m = number(month);
  const y = `(?:${year}|'?${String(year % 100).padStart(2, '0')})`;
  const sep = '\\s*[./-]\\s*';
  const ordinal = '(?:st|nd|rd|th)?';
  const monthName = `(?:${MONTHS[month - 1]!.join('|')})\\.?`;
  const forms = [
    `${d}${sep}${m}${sep}${y}`,
    `${year}${sep}${m}${sep}${d}`,
    `${d}${ordinal}\\s*(?:of\\s+)?${monthName},?\\s*${y}`,
    `${monthName}\\s*${d}${ordinal},?\\s*${y}`,
  ];
  return `(?<![\\p{L}\\p{N}])(?:${forms.join('|')})(?![\\p{L}\\p{N}])`;
}
