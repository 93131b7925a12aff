import { z } from 'zod';
import { ConflictError, translateConstraintError } from '../errors.js';

/** The UTR / UPI transaction id the patient's app shows (12 digits for UPI), as people read it out. */
export const upiTransactionId = z
  .string()
  .transform((value) => value.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^[A-Za-z0-9]{6,35}$/, 'must be the 6–35 character UTR / transaction id (letters and digits)'));

/** A UTR is accepted once, ever: the database's unique index decides, and the desk hears it plainly. */
export function translateUtrConflict(error: unknown, utr: string | undefined): never {
  return translateConstraintError(error, {
    payments_utr_key: () => new ConflictError(`The UTR ${utr} has already been used for another payment.`),
  });
}
