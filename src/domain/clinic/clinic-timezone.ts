import type { DomainContext } from '../context.js';

/**
 * The clinic's own timezone once it is set up (else undefined: the configured one applies). Apart from
 * settings.ts, whose input schema (a phone number) would bring libphonenumber to every command.
 */
export async function clinicTimezone(db: DomainContext['db']): Promise<string | undefined> {
  return (await db.selectFrom('clinic_settings').select('timezone').executeTakeFirst())?.timezone;
}
