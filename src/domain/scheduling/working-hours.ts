import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, parseInput, translateConstraintError } from '../errors.js';
import { resolveTherapist } from '../people/resolve.js';
import { authorize } from '../policy.js';
import { clockTime } from '../time.js';

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface WeeklyBlock {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  start: string;
  end: string;
}

const block = z.object({ weekday: z.number().int().min(1).max(7), start: clockTime, end: clockTime }).refine((b) => b.end > b.start, 'end must be after start');

const workingHoursInput = z.object({
  therapistId: z.number().int().positive(),
  blocks: z.array(block),
});

/** "Mon" for 1 … "Sun" for 7. */
export const weekdayName = (weekday: number) => DAY_NAMES[weekday - 1]!.replace(/^./, (c) => c.toUpperCase());

function parseDays(spec: string, days: string): number[] {
  const weekdays: number[] = [];
  for (const part of days.toLowerCase().split(',')) {
    const [first, last = first] = part.split('-').map((d) => d.trim());
    const from = DAY_NAMES.indexOf(first!);
    const to = DAY_NAMES.indexOf(last!);
    if (from < 0 || to < 0 || to < from) throw new InvalidInputError(`"${spec}" has an unknown or reversed day range; use mon … sun, e.g. "mon-fri".`);
    for (let day = from; day <= to; day++) weekdays.push(day + 1);
  }
  return weekdays;
}

/**
 * Parses "mon-fri 09:00-13:00", "sat 09:00-13:00" or "mon,wed,fri 16:00-19:00" into weekly blocks;
 * several specs give breaks between blocks ("mon-fri 09:00-13:00" and "mon-fri 14:00-18:00").
 */
export function parseWeeklyHours(spec: string): WeeklyBlock[] {
  const match = /^\s*([a-z]{3}(?:\s*[-,]\s*[a-z]{3})*)\s+(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$/i.exec(spec);
  if (!match) throw new InvalidInputError(`"${spec}" is not working hours; write e.g. "mon-fri 09:00-13:00".`);
  const [, days, start, end] = match as unknown as [string, string, string, string];
  for (const time of [start, end]) {
    if (!clockTime.safeParse(time).success) throw new InvalidInputError(`"${spec}": ${time} is not a time; use 00:00 to 23:59.`);
  }
  if (end <= start) throw new InvalidInputError(`"${spec}": the end must be after the start.`);
  return parseDays(spec, days.replace(/\s+/g, '')).map((weekday) => ({ weekday, start, end }));
}

function refuseOverlaps(blocks: WeeklyBlock[]): void {
  const sorted = [...blocks].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
  for (let i = 1; i < sorted.length; i++) {
    const [before, after] = [sorted[i - 1]!, sorted[i]!];
    if (before.weekday === after.weekday && after.start < before.end) {
      throw new InvalidInputError(`Working hours overlap on ${weekdayName(after.weekday)}: ${before.start}-${before.end} and ${after.start}-${after.end}.`);
    }
  }
}

/** Replaces a therapist's weekly hours with the given blocks. Existing slots are not touched. */
export async function setWorkingHours(ctx: DomainContext, raw: z.input<typeof workingHoursInput>) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(workingHoursInput, raw);
  refuseOverlaps(input.blocks);
  return inTransaction(ctx, async (tx) => {
    const therapist = await resolveTherapist(tx, input.therapistId);
    const before = await tx.db.deleteFrom('working_hours').where('therapist_id', '=', therapist.id).returning('id').execute();
    if (input.blocks.length) {
      await tx.db
        .insertInto('working_hours')
        .values(input.blocks.map((b) => ({ therapist_id: therapist.id, weekday: b.weekday, start_time: b.start, end_time: b.end })))
        .execute()
        .catch((error) =>
          translateConstraintError(error, {
            working_hours_no_overlap: () => new InvalidInputError('Two blocks of working hours overlap on the same day.'),
          }),
        );
    }
    await recordAudit(tx, {
      action: 'working_hours.set',
      entity: 'therapist',
      entityId: therapist.id,
      before: { blocks: before.length },
      after: { blocks: input.blocks },
    });
    return input.blocks;
  });
}

/** Each therapist's week (one, or every active therapist), blocks in day and time order. */
export async function weeklyHours(ctx: DomainContext, raw: { therapistId?: number } = {}) {
  authorize(ctx.actor, 'schedule.read');
  const input = parseInput(z.object({ therapistId: z.number().int().positive().optional() }), raw);
  const therapists = await ctx.db
    .selectFrom('therapists')
    .select(['id', 'full_name', 'active'])
    .$if(input.therapistId !== undefined, (qb) => qb.where('id', '=', input.therapistId!))
    .$if(input.therapistId === undefined, (qb) => qb.where('active', '=', true))
    .orderBy('full_name')
    .execute();
  const hours = therapists.length
    ? await ctx.db
        .selectFrom('working_hours')
        .select(['therapist_id', 'weekday', 'start_time', 'end_time'])
        .where(
          'therapist_id',
          'in',
          therapists.map((t) => t.id),
        )
        .orderBy('weekday')
        .orderBy('start_time')
        .execute()
    : [];
  return therapists.map((t) => ({
    therapistId: t.id,
    therapistName: t.full_name,
    active: t.active,
    blocks: hours
      .filter((h) => h.therapist_id === t.id)
      .map((h): WeeklyBlock => ({ weekday: h.weekday, start: h.start_time.slice(0, 5), end: h.end_time.slice(0, 5) })),
  }));
}
