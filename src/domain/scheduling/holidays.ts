import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import type { DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { clinicDate, isoDate } from '../time.js';
import { changingDaysOff, closeDaysOff, settleDaysOff, strandedByDayOff } from './days-off.js';

const holidayInput = z.object({
  date: isoDate,
  name: z.string().trim().min(2, 'must be at least 2 characters').max(80),
  /** Declare the holiday even though appointments fall on it; they are returned for rescheduling. */
  force: z.boolean().default(false),
  /** With force: also offer their families a reschedule message (offerReschedule). */
  notifyFamilies: z.boolean().default(false),
});
export type AddHolidayInput = z.input<typeof holidayInput>;

/**
 * Closes the clinic for a day and blocks every open slot on it. Refused while live appointments
 * fall on that day, unless forced: then they are returned, still booked, for the desk to reschedule;
 * they are flagged as such wherever they are listed, and no reminder goes out for them
 * (needs-reschedule.ts). With `notifyFamilies`, their families are offered a reschedule message.
 */
export async function addHoliday(ctx: DomainContext, raw: AddHolidayInput) {
  authorize(ctx.actor, 'clinic.configure');
  const input = parseInput(holidayInput, raw);
  return changingDaysOff(ctx, async (tx) => {
    const existing = await tx.db.selectFrom('clinic_holidays').selectAll().where('holiday_on', '=', input.date).executeTakeFirst();
    if (existing) throw new ConflictError(`${input.date} is already a holiday (${existing.name}).`);
    const day = { from: input.date, to: input.date };
    const stranded = await strandedByDayOff(tx, day, {
      force: input.force,
      during: (count) => `${count} appointment(s) fall on ${input.date}`,
      forceTo: 'declare the holiday',
    });
    const holiday = await tx.db
      .insertInto('clinic_holidays')
      .values({ holiday_on: input.date, name: input.name })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          clinic_holidays_pkey: () => new ConflictError(`${input.date} is already a holiday.`),
        }),
      );
    const closed = await closeDaysOff(tx, day, {
      stranded,
      notifyFamilies: input.notifyFamilies,
      occasion: { holidayOn: input.date },
      audit: { action: 'holiday.add', entity: 'clinic_holiday', entityId: input.date, after: { date: input.date } },
    });
    return { holiday, ...closed };
  });
}

const listInput = z.object({
  /** A calendar year; without it, the holidays from today on. */
  year: z.number().int().min(2000).max(2100).optional(),
});

export async function listHolidays(ctx: DomainContext, raw: z.input<typeof listInput> = {}) {
  authorize(ctx.actor, 'schedule.read');
  const input = parseInput(listInput, raw);
  const [first, last] = input.year === undefined ? [clinicDate(ctx.clock.now(), ctx.timezone), '9999-12-31'] : [`${input.year}-01-01`, `${input.year}-12-31`];
  return ctx.db.selectFrom('clinic_holidays').selectAll().where('holiday_on', '>=', first).where('holiday_on', '<=', last).orderBy('holiday_on').execute();
}

/**
 * Reopens the clinic on a day, and the slots the holiday blocked (unless leave still covers them);
 * its appointments get their reminders back.
 */
export async function removeHoliday(ctx: DomainContext, raw: { date: string }) {
  authorize(ctx.actor, 'clinic.configure');
  const input = parseInput(z.object({ date: isoDate }), raw);
  return changingDaysOff(ctx, async (tx) => {
    const holiday = await tx.db.deleteFrom('clinic_holidays').where('holiday_on', '=', input.date).returningAll().executeTakeFirst();
    if (!holiday) throw new NotFoundError(`${input.date} is not a clinic holiday.`);
    // The day's appointments (unless leave still covers them) are reminded of again.
    const { reopened } = await settleDaysOff(tx, { from: input.date, to: input.date });
    await recordAudit(tx, {
      action: 'holiday.remove',
      entity: 'clinic_holiday',
      entityId: input.date,
      before: { date: input.date },
      after: { slotsReopened: reopened },
    });
    return { holiday, slotsReopened: reopened };
  });
}
