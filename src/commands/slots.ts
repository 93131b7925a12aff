import type { Command } from 'commander';
import { requireTherapist, therapistFilter } from '../cli/calendar-input.js';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { bold, dim, emit, note, table } from '../cli/output.js';
import { dateValue, positiveInt, wholeNumber } from '../cli/options.js';
import { sessionAction, withSession } from '../cli/session.js';
import { InvalidInputError } from '../domain/errors.js';
import { weekOf, type ClinicDays } from '../domain/scheduling/clinic-days.js';
import { blockSlot, unblockSlot } from '../domain/scheduling/slot-blocking.js';
import { listSlots, type ListedSlot } from '../domain/scheduling/slot-queries.js';
import { generateSlots } from '../domain/scheduling/slots.js';
import { weekdayName } from '../domain/scheduling/working-hours.js';
import { clinicDate, clinicTime, isoDate, isoWeekdayOf } from '../domain/time.js';

interface GenerateFlags {
  from?: string;
  to?: string;
  therapist?: string;
  service?: string;
  minutes?: number;
  buffer?: number;
}

interface ListFlags {
  date?: string;
  week?: string;
  therapist?: string;
  free?: boolean;
}

async function generate(env: CommandEnv, flags: GenerateFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const from = await requireFlag(env, flags.from, '--from', { message: 'First day', placeholder: 'YYYY-MM-DD', schema: isoDate });
    const to = await requireFlag(env, flags.to, '--to', { message: 'Last day', initialValue: from, schema: isoDate });
    const therapist = flags.therapist === undefined ? undefined : await requireTherapist(env, ctx, flags.therapist);
    note(env, `Generating slots from ${from} to ${to}${therapist ? ` for ${therapist.full_name}` : ''}…`);
    const result = await generateSlots(
      ctx,
      {
        from,
        to,
        ...(therapist ? { therapistId: therapist.id } : {}),
        ...(flags.service ? { serviceCode: flags.service } : {}),
        ...(flags.minutes !== undefined ? { minutes: flags.minutes } : {}),
        ...(flags.buffer !== undefined ? { bufferMinutes: flags.buffer } : {}),
      },
      { onProgress: (p) => p.days > p.daysDone && note(env, `  ${p.daysDone} of ${p.days} days done, ${p.created} slot(s) so far…`) },
    );
    emit(env, { from, to, ...result }, () => [
      `Created ${result.created} slot(s); skipped ${result.skipped} where slots already exist.`,
      dim(
        env,
        `${result.minutes}-minute slots, ${result.bufferMinutes} minutes between sessions` +
          `${result.capacity > 1 ? `, up to ${result.capacity} people each` : ''}; holidays and leave left out.`,
      ),
    ]);
    return 0;
  });
}

function daysAsked(flags: ListFlags, today: string): ClinicDays {
  if (flags.date !== undefined && flags.week !== undefined) throw new InvalidInputError('Give --date or --week, not both.');
  if (flags.week !== undefined) return weekOf(flags.week);
  const day = flags.date ?? today;
  return { from: day, to: day };
}

const slotWhen = (startsAt: Date, timeZone: string) => `${clinicDate(startsAt, timeZone)} ${clinicTime(startsAt, timeZone)}`;

const slotStatus = (s: ListedSlot) => (s.status === 'open' ? 'open' : `blocked: ${s.blockedReason ?? 'no reason given'}`);

/** One heading per therapist, one table per day. */
function slotLines(slots: ListedSlot[], timeZone: string): string[] {
  const lines: string[] = [];
  const withService = slots.some((s) => s.serviceCode);
  let therapist: number | undefined;
  let day: string | undefined;
  let rows: string[][] = [];
  const flush = () => {
    const head = ['Slot', 'Time', 'Booked', ...(withService ? ['Service'] : []), 'Status'];
    if (rows.length)
      lines.push(
        ...table(head, rows)
          .split('\n')
          .map((line) => `    ${line}`),
        '',
      );
    rows = [];
  };
  for (const s of slots) {
    if (s.therapistId !== therapist) {
      flush();
      lines.push(`${s.therapistName}`);
      [therapist, day] = [s.therapistId, undefined];
    }
    if (s.date !== day) {
      flush();
      lines.push(`  ${weekdayName(isoWeekdayOf(s.date))} ${s.date}`);
      day = s.date;
    }
    const time = `${clinicTime(s.startsAt, timeZone)}–${clinicTime(s.endsAt, timeZone)}`;
    rows.push([String(s.id), time, `${s.booked}/${s.capacity}`, ...(withService ? [s.serviceCode ?? 'any'] : []), slotStatus(s)]);
  }
  flush();
  return lines;
}

const slotJson = (s: ListedSlot, timeZone: string) => ({
  id: s.id,
  therapist: { id: s.therapistId, name: s.therapistName },
  date: s.date,
  localStart: clinicTime(s.startsAt, timeZone),
  localEnd: clinicTime(s.endsAt, timeZone),
  startsAt: s.startsAt.toISOString(),
  endsAt: s.endsAt.toISOString(),
  service: s.serviceCode,
  booked: s.booked,
  capacity: s.capacity,
  status: s.status,
  blockedReason: s.blockedReason,
});

export function register(program: Command, run: RunCommand): void {
  const slots = program.command('slots').description('Generate, list, block and unblock appointment slots');

  slots
    .command('generate')
    .description('Make bookable slots from working hours (safe to run again: existing slots are kept, none are duplicated)')
    .option('--from <date>', 'first day, YYYY-MM-DD', dateValue)
    .option('--to <date>', 'last day, YYYY-MM-DD', dateValue)
    .option('--therapist <therapist>', 'only this therapist (id, username or part of the name)')
    .option('--service <code>', 'slots reserved for one service, with its length and group size (e.g. group-social-skills)')
    .option('--minutes <n>', "slot length (default: the service's, else the clinic's)", positiveInt)
    .option('--buffer <n>', "minutes between sessions (default: the clinic's)", wholeNumber)
    .action(run(async (env, flags: GenerateFlags) => generate(env, flags)));

  slots
    .command('list')
    .description('Slots of a day or a week, per therapist, with bookings and status')
    .option('--date <date>', 'one day, YYYY-MM-DD (default: today)', dateValue)
    .option('--week <date>', 'the Monday-to-Sunday week holding this day', dateValue)
    .option('--therapist <therapist>', 'only this therapist (id, username or part of the name)')
    .option('--free', 'only slots that can still be booked')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: ListFlags) => {
        const days = daysAsked(flags, clinicDate(ctx.clock.now(), ctx.timezone));
        const therapistId = await therapistFilter(ctx, flags.therapist);
        const found = await listSlots(ctx, { ...days, ...(therapistId !== undefined ? { therapistId } : {}), freeOnly: Boolean(flags.free) });
        const heading = days.from === days.to ? days.from : `${days.from} to ${days.to}`;
        emit(env, { ...days, timezone: ctx.timezone, slots: found.map((s) => slotJson(s, ctx.timezone)) }, () => [
          bold(env, `Slots, ${heading} (${ctx.timezone})`),
          '',
          ...(found.length ? slotLines(found, ctx.timezone) : [flags.free ? 'No free slots.' : 'No slots. Make some with `roshni slots generate`.']),
        ]);
        return 0;
      }),
    );

  slots
    .command('block')
    .description('Close one slot to bookings (refused while someone is booked into it)')
    .argument('<slot>', 'the slot id (from `roshni slots list`)', positiveInt)
    .option('--reason <text>', 'why, e.g. "team meeting"')
    .action(
      sessionAction(run, async ({ ctx, env }, slotId: number, flags: { reason?: string }) => {
        const reason = await requireFlag(env, flags.reason, '--reason', { message: 'Why is the slot blocked?', placeholder: 'team meeting' });
        const slot = await blockSlot(ctx, { slotId, reason });
        emit(
          env,
          { id: slot.id, status: slot.status, blockedReason: slot.blocked_reason },
          () => `Slot ${slot.id} (${slotWhen(slot.starts_at, ctx.timezone)}) blocked: ${slot.blocked_reason}.`,
        );
        return 0;
      }),
    );

  slots
    .command('unblock')
    .description('Open a blocked slot to bookings again')
    .argument('<slot>', 'the slot id (from `roshni slots list`)', positiveInt)
    .action(
      sessionAction(run, async ({ ctx, env }, slotId: number) => {
        const slot = await unblockSlot(ctx, { slotId });
        emit(env, { id: slot.id, status: slot.status }, () => `Slot ${slot.id} (${slotWhen(slot.starts_at, ctx.timezone)}) is open again.`);
        return 0;
      }),
    );
}
