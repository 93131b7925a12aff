import { z } from 'zod';

// Apart from staff.ts, so that signing in (every command resumes a session) does not bring the phone
// rules of a member of staff's contact details (libphonenumber).
export const staffUsername = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9._-]{1,31}$/, 'must be 2–32 lowercase letters, digits, dots, dashes or underscores');
