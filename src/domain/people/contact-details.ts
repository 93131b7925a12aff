import { z } from 'zod';
import { hasUnsafeCharacters } from '../plain-text.js';

// How people are named and reached, the same for patients, guardians, therapists and staff.

/** A person's name as typed, trimmed, with runs of spaces made one; refused with control characters. */
export const personName = z
  .string()
  .trim()
  .min(2, 'must be at least 2 characters')
  .max(120, 'must be at most 120 characters')
  .transform((name) => name.replace(/\s+/g, ' '))
  .refine((name) => !hasUnsafeCharacters(name), 'must not contain control characters or text-direction overrides');

export const emailAddress = z.email('must be an email address');

export const contactLanguage = z.enum(['en', 'hi'], { error: 'must be en or hi' });
