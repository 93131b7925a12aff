import { createHash, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

// A password never reaches the database: the CLI stretches it with scrypt (Node's own, memory-hard),
// using the salt and cost the database keeps for that person, and the database compares the SHA-256
// of the result with what it stored (migration 0017). The cost is written into each stored scheme, so
// it can be raised later without invalidating anyone's password.

export const CURRENT_SCHEME = 'scrypt:32768:8:1';

export const password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(200, 'must be at most 200 characters')
  .refine((value) => value.trim().length === value.length, 'must not begin or end with a space');

interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

function parseScheme(scheme: string): ScryptCost {
  const match = /^scrypt:(\d+):(\d+):(\d+)$/.exec(scheme);
  if (!match) throw new Error(`Unknown password scheme ${scheme}`);
  return { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
}

/** The key a password stretches to under a scheme and salt: what sign-in presents as proof. */
export function stretchPassword(plain: string, scheme: string, salt: Uint8Array): Promise<Buffer> {
  const cost = parseScheme(scheme);
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => scrypt(plain.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export interface PasswordRecord {
  scheme: string;
  salt: Buffer;
  /** SHA-256 of the stretched key: all the database keeps. */
  verifier: Buffer;
}

/** A new password's record, with a fresh salt. */
export async function newPasswordRecord(plain: string): Promise<PasswordRecord> {
  const salt = randomBytes(16);
  const key = await stretchPassword(plain, CURRENT_SCHEME, salt);
  return { scheme: CURRENT_SCHEME, salt, verifier: createHash('sha256').update(key).digest() };
}
