import { scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';

// scrypt N=2^15, r=8, p=1: about 32 MiB and ~100 ms per backup, the libsodium "interactive" order.
export const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;

export function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scryptCallback(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
