import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { clockTime } from '../time.js';

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const block = z
  .object({ weekday: z.number().int().min(1).max(7), start: clockTime, end: clockTime })
  .refine((b) => b.end > b.start, 'end must be after start');

const workingHoursInput = z.object({
  therapistId: z.number().int().positive(),
  blocks: z.array(block),
});

/**
 * Parses "mon-fri 09:00-13:00" or "sat 09:00-13:00" into weekly blocks; several specs give breaks
 * between blocks ("mon-fri 09:00-13:00" and "mon-fri 14:00-18:00").
 */
export function parseWeeklyHours(spec: string): Array<{ weekday: number; start: string; end: string }> {
  const match = /^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$/i.exec(spec);
  if (!match) throw new InvalidInputError(`"${spec}" is not working hours; write e.g. "mon-fri 09:00-13:00".`);
  const [, fromDay, toDay, start, end] = match;
  const from = DAY_NAMES.indexOf(fromDay!.toLowerCase());
  const to = DAY_NAMES.indexOf((toDay ?? fromDay)!.toLowerCase());
  if (from < 0 || to < 0 || to < from) throw new InvalidInputError(`"${spec}" has an unknown or reversed day range.`);
  return Array.from({ length: to - from + 1 }, (_, i) => ({ weekday: from + i + 1, start: start!, end: end! }));
}

/** Replaces a therapist's weekly hours with the given blocks. */
export async function setWorkingHours(ctx: DomainContext, raw: z.input<typeof workingHoursInput>) {
  authorize(ctx.actor, 'schedule.manage');
  const input = parseInput(workingHoursInput, raw);
  return inTransaction(ctx, async (tx) => {
    const therapist = await tx.db.selectFrom('therapists').select('id').where('id', '=', input.therapistId).executeTakeFirst();
    if (!therapist) throw new NotFoundError(`No therapist with id ${input.therapistId}.`);
    await tx.db.deleteFrom('working_hours').where('therapist_id', '=', input.therapistId).execute();
    if (input.blocks.length) {
      await tx.db
        .insertInto('working_hours')
        .values(input.blocks.map((b) => ({ therapist_id: input.therapistId, weekday: b.weekday, start_time: b.start, end_time: b.end })))
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
      entityId: input.therapistId,
      after: { blocks: input.blocks },
    });
    return input.blocks;
  });
}
