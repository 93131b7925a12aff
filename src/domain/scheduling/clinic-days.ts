import type { z } from 'zod';
import { addDays, isoDate, isoWeekdayOf, zonedInstant } from '../time.js';

/** Inclusive runs of clinic days, as people name them: "from 7 Dec to 11 Dec". */
export interface ClinicDays {
  from: string;
  to: string;
}

/** A zod check for `{ from, to }`: in order, and no longer than `maxDays`. */
export function orderedDays(maxDays = 366) {
  return (days: ClinicDays, ctx: z.RefinementCtx) => {
    // zod runs this check even when a date itself was refused; that date has its own message already.
    if (!isoDate.safeParse(days.from).success || !isoDate.safeParse(days.to).success) return;
    if (days.to < days.from) ctx.addIssue({ code: 'custom', message: 'must not be before from', path: ['to'] });
    else if (addDays(days.from, maxDays) <= days.to) {
      ctx.addIssue({ code: 'custom', message: `may cover at most ${maxDays} days`, path: ['to'] });
    }
  };
}

/** The instants between the clinic's midnight that starts `from` and the one that ends `to`. */
export function clinicDaysSpan(days: ClinicDays, timeZone: string): { start: Date; end: Date } {
  return { start: zonedInstant(days.from, '00:00', timeZone), end: zonedInstant(addDays(days.to, 1), '00:00', timeZone) };
}

/** Monday to Sunday of the week that holds `date`. */
export function weekOf(date: string): ClinicDays {
  const monday = addDays(date, 1 - isoWeekdayOf(date));
  return { from: monday, to: addDays(monday, 6) };
}

/** "IST" for Asia/Kolkata: the short name people read next to clinic times. */
export function zoneLabel(timeZone: string, at: Date): string {
  const part = new Intl.DateTimeFormat('en-IN', { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}
