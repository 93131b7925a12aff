import { randomBytes } from 'node:crypto';

// What reaches a staff terminal. Text from outside (a patient's chat message, a name typed at
// registration, a file's name, a note) could carry control characters and escape sequences that
// rewrite the screen, set the clipboard (OSC 52), make links (OSC 8) or reorder what is read (bidi
// overrides). Every line the CLI prints goes through `terminalText`; Hindi and emoji are untouched.
// Roshni's own colours cannot be told from a patient's by their bytes, so they travel as markers
// carrying a secret made for this process, and become escape sequences only once the line is clean.

const NONCE = randomBytes(8).toString('hex');
const MARKER = new RegExp(`\uE000(\\d{1,2}):${NONCE}\uE001`, 'g');

/** Roshni's own SGR colour code `code`, to be drawn by `terminalText` (and `table`). */
export const colourMarker = (code: number): string => `\uE000${code}:${NONCE}\uE001`;

// ESC-introduced strings (OSC, DCS, SOS, PM, APC) and their 8-bit forms run to BEL or ST; an
// unterminated one is cut at the end of its line.
const STRING_SEQUENCE = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)?/g;
// CSI (ESC [ or its 8-bit form) with its parameters, intermediates and final byte.
const CSI_SEQUENCE = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
// Any other escape: ESC, intermediates, a final byte (ESC c, ESC ( B, ESC 7…).
const OTHER_ESCAPE = /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// C0 controls but tab and newline, DEL, C1 controls; bidi embeddings, overrides and isolates.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every escape sequence and control character removed (tab and newline kept unless `oneLine`). */
export function cleanText(text: string, options: { oneLine?: boolean } = {}): string {
  const clean = text.replace(STRING_SEQUENCE, '').replace(CSI_SEQUENCE, '').replace(OTHER_ESCAPE, '').replace(CONTROL, '');
  return options.oneLine ? clean.replace(/[\t\n]/g, ' ') : clean;
}

/** `text` made safe for a terminal, Roshni's own colour markers turned into colours. */
export function terminalText(text: string, options: { oneLine?: boolean } = {}): string {
  return text
    .split(MARKER)
    .map((part, i) => (i % 2 ? `\u001b[${part}m` : cleanText(part, options)))
    .join('');
}

/** Colours drawn by `terminalText` into clean text (say, to measure a table's widths) made markers again. */
export const coloursToMarkers = (drawn: string): string => drawn.replace(/\u001b\[(\d{1,2})m/g, (_, code: string) => colourMarker(Number(code)));

/**
 * JSON as faithful as JSON.stringify's, with the characters it leaves raw that a terminal would act on
 * (DEL, C1 controls, bidi controls) written as \u escapes: the same value for any parser.
 */
export function terminalJson(data: unknown, indent?: number): string {
  return JSON.stringify(data, null, indent).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
