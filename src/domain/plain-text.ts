// Text a person's name or a file's name may not hold: control characters (escape sequences begin
// with one) and the bidirectional embeddings, overrides and isolates that make "exe.pdf" read as "fdp.exe".
// What is shown on a terminal is cleaned again there (src/infra/terminal-text.ts), whatever was kept before.

const UNSAFE_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
export const UNSAFE_CHARS_ALL = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

export const hasUnsafeCharacters = (text: string): boolean => UNSAFE_CHARS.test(text);
