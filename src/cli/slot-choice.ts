import type { DomainContext } from '../domain/context.js';
import { ConflictError, InvalidInputError, isDomainError } from '../domain/errors.js';
import { findAvailability, findSlotAt, type AvailableSlot } from '../domain/scheduling/availability.js';
import { addDays, clinicDate, clinicTime, formatFriendly, localDateTime } from '../domain/time.js';
import type { CommandEnv } from './io.js';
import { parseFlag } from './options.js';
import { askSelect } from './prompts.js';

export interface SlotWanted {
  serviceId: number;
  therapistId?: number;
  patientId?: number;
  slot?: number;
  at?: string;
}

function freeTimes(slots: AvailableSlot[], timezone: string): string {
  const times = [...new Set(slots.map((s) => clinicTime(s.startsAt, timezone)))].slice(0, 8);
  return times.length ? `Free times that day: ${times.join(', ')}.` : 'Nothing else is free that day.';
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
  };
  if (wanted.at !== undefined) {
    const { date, time } = parseFlag(localDateTime, wanted.at, '--at');
    const { slot, sameDay } = await findSlotAt(ctx, { ...filters, date, time });
    if (!slot) throw new ConflictError(`No free slot at ${time} on ${date}. ${freeTimes(sameDay, ctx.timezone)}`, { reason: 'no_slot' });
    return slot.slotId;
  }
  if (!env.interactive) throw new InvalidInputError('Say which slot: --slot <id> or --at "YYYY-MM-DD HH:MM".');
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  const options = await findAvailability(ctx, { ...filters, from: today, to: addDays(today, 14), ignoreMinimumNotice: true, limit: 40 });
  if (!options.length) throw new ConflictError('Nothing is free in the next two weeks; add the patient to the waitlist.');
  const choice = await askSelect({
    message: 'Which time?',
    choices: options.map((s) => ({ value: String(s.slotId), label: `${formatFriendly(s.startsAt, ctx.timezone)}  ${s.therapistName}` })),
  });
  return Number(choice);
}

/** A "slot just taken" conflict, told with the times still free that day. */
export async function withFreeTimes(ctx: DomainContext, error: unknown, wanted: SlotWanted): Promise<never> {
  if (isDomainError(error) && error.details?.reason === 'slot_taken' && typeof error.details.slotId === 'number') {
    const slot = await ctx.db.selectFrom('appointment_slots').select('starts_at').where('id', '=', error.details.slotId).executeTakeFirst();
    if (slot) {
      const date = clinicDate(slot.starts_at, ctx.timezone);
      const sameDay = await findAvailability(ctx, {
        serviceId: wanted.serviceId,
        ...(wanted.therapistId !== undefined ? { therapistId: wanted.therapistId } : {}),
        from: date,
        to: date,
        ignoreMinimumNotice: true,
      });
      throw new ConflictError(`${error.message} ${freeTimes(sameDay, ctx.timezone)}`, error.details);
    }
  }
  throw error;
}
