import { randomInt } from 'node:crypto';

// A temporary password for a new member of staff (`roshni staff add --invite`): shown once to the admin,
// usable only to choose their own at the first sign-in. Sixteen characters from 31 with no look-alikes
// (no 0/o, 1/l/i), in groups of four to read aloud: about 79 bits.

const SYMBOLS = 'abcdefghjkmnpqrstuvwxyz23456789';

export function temporaryPassword(): string {
  const group = () => Array.from({ length: 4 }, () => SYMBOLS[randomInt(SYMBOLS.length)]).join('');
  return [group(), group(), group(), group()].join('-');
}
