import type { DomainContext } from '../domain/context.js';
import { ConflictError, InvalidInputError, isDomainError } from '../domain/errors.js';
import { findAvailability } from '../domain/scheduling/availability.js';
import { freeThatDay, freeTimesText, requireSlotAtTime } from '../domain/scheduling/slot-at.js';
import { slotStart } from '../domain/scheduling/slot-queries.js';
import { addDays, clinicDate, formatFriendly, localDateTime } from '../domain/time.js';
import type { CommandEnv } from './io.js';
import { parseFlag } from './options.js';
import { askSelect } from './prompts.js';

export interface SlotWanted {
  serviceId: number;
  therapistId?: number;
  patientId?: number;
  slot?: number;
  at?: string;
  /** Staff booking inside the clinic's minimum notice on purpose (--short-notice). */
  shortNotice?: boolean;
}

/**
 * The slot a booking or a move goes into: --slot <id>, --at "YYYY-MM-DD HH:MM", or on a terminal
 * a choice from the next two weeks' availability.
 */
export async function chooseSlot(env: CommandEnv, ctx: DomainContext, wanted: SlotWanted): Promise<number> {
  if (wanted.slot !== undefined) return wanted.slot;
  const filters = {
    serviceId: wanted.serviceId,
    ...(wanted.therapistId !== undefined ? { therapistId: wanted.therapistId } : {}),
    ...(wanted.patientId !== undefined ? { patientId: wanted.patientId } : {}),
    ...(wanted.shortNotice ? { shortNotice: true } : {}),
  };
  if (wanted.at !== undefined) {
    const { date, time } = parseFlag(localDateTime, wanted.at, '--at');
    return (await requireSlotAtTime(ctx, { ...filters, date, time })).slotId;
  }
  if (!env.interactive) throw new InvalidInputError('Say which slot: --slot <id> or --at "YYYY-MM-DD HH:MM".');
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const options = await findAvailability(ctx, { ...filters, from: today, to: addDays(today, 14), limit: 40 });
  if (!options.length) throw new ConflictError('Nothing is free in the next two weeks; add the patient to the waitlist.');
  const choice = await askSelect({
    message: 'Which time?',
    choices: options.map((s) => ({ value: String(s.slotId), label: `${formatFriendly(s.startsAt, ctx.timezone)}  ${s.therapistName}` })),
  });
  return Number(choice);
}

/**
 * A refusal as the desk should hear it: a slot just taken, with the times still free that day; the
 * minimum notice, with the flag that books inside it on purpose.
 */
export async function withFreeTimes(ctx: DomainContext, error: unknown, wanted: SlotWanted): Promise<never> {
  if (isDomainError(error) && error.details?.reason === 'min_notice' && ctx.actor.kind === 'staff') {
    throw new ConflictError(`${error.message} Add --short-notice to book it anyway.`, error.details);
  }
  if (isDomainError(error) && ['slot_taken', 'full'].includes(String(error.details?.reason)) && typeof error.details?.slotId === 'number') {
    const startsAt = await slotStart(ctx, error.details.slotId);
    if (startsAt) {
      const sameDay = await freeThatDay(ctx, { ...wanted, date: clinicDate(startsAt, ctx.timezone) });
      throw new ConflictError(`${error.message} ${freeTimesText(sameDay, ctx.timezone)}`, error.details);
    }
  }
  throw error;
}
