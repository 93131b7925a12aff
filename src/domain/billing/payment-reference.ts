import { z } from 'zod';

/** Our reference of a payment (PAY-000123), as staff type it. */
export const paymentReference = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^PAY-\d+$/, 'must be a payment reference such as PAY-000123');
