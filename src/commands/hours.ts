import type { Command } from 'commander';
import { z } from 'zod';
import { requireTherapist } from '../cli/calendar-input.js';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { bold, dim, emit } from '../cli/output.js';
import { collect } from '../cli/options.js';
import { sessionAction } from '../cli/session.js';
import { isDomainError } from '../domain/errors.js';
import { parseWeeklyHours, setWorkingHours, weekdayName, weeklyHours, type WeeklyBlock } from '../domain/scheduling/working-hours.js';

type TherapistWeek = Awaited<ReturnType<typeof weeklyHours>>[number];

const EXAMPLE = 'mon-fri 09:00-13:00; mon-fri 14:00-18:00; sat 09:00-13:00';

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * One line per weekday on a shared time axis, a character per quarter hour:
 * working time is filled, so a break shows as a gap.
 */
function weekGrid(weeks: TherapistWeek[]): string[] {
  const blocks = weeks.flatMap((w) => w.blocks);
  const first = Math.min(8, ...blocks.map((b) => Math.floor(minutesOf(b.start) / 60)));
  const last = Math.max(18, ...blocks.map((b) => Math.ceil(minutesOf(b.end) / 60)));
  const axis = Array.from({ length: last - first }, (_, i) =>
    String(first + i)
      .padStart(2, '0')
      .padEnd(4),
  ).join('');
  const lines: string[] = [];
  for (const week of weeks) {
    lines.push(`${week.therapistName} (id ${week.therapistId})${week.active ? '' : ' – inactive'}`, `     ${axis}`);
    for (let weekday = 1; weekday <= 7; weekday++) {
      const today = week.blocks.filter((b) => b.weekday === weekday);
      let bar = '';
      for (let quarter = first * 4; quarter < last * 4; quarter++) {
        const middle = quarter * 15 + 7.5;
        bar += today.some((b) => minutesOf(b.start) <= middle && middle < minutesOf(b.end)) ? '█' : '·';
      }
      const spans = today.length ? today.map((b) => `${b.start}–${b.end}`).join(', ') : 'off';
      lines.push(`${weekdayName(weekday)}  ${bar}  ${spans}`);
    }
    lines.push('');
  }
  return lines;
}

const weekJson = (weeks: TherapistWeek[]) =>
  weeks.map((w) => ({ therapist: { id: w.therapistId, name: w.therapistName, active: w.active }, blocks: w.blocks }));

/** Every spec is checked before anything is saved; the first bad one is the message. */
function parseAll(specs: string[]): WeeklyBlock[] {
  return specs.flatMap((spec) => parseWeeklyHours(spec));
}

const specsSchema = z.string().refine(
  (text) => {
    try {
      parseAll(text.split(';'));
      return true;
    } catch (error) {
      if (isDomainError(error)) return false;
      throw error;
    }
  },
  { message: `write blocks like "${EXAMPLE}"` },
);

/** The --hours blocks, or on a terminal one answer with the blocks separated by ";". */
async function hoursFrom(env: CommandEnv, given: string[] | undefined): Promise<string[]> {
  if (given?.length) return given;
  const question = { message: 'Weekly hours (blocks separated by ;)', placeholder: EXAMPLE, schema: specsSchema };
  return (await requireFlag(env, undefined, '--hours', question)).split(';');
}

export function register(program: Command, run: RunCommand): void {
  const hours = program.command('hours').description("Therapists' weekly working hours; breaks are the gaps between blocks");

  hours
    .command('set')
    .description('Replace a therapist\'s weekly hours, e.g. --hours "mon-fri 09:00-13:00" --hours "mon-fri 14:00-18:00"')
    .argument('[therapist]', 'id, username or part of the name')
    .option('--hours <block>', 'days and times, e.g. "mon-fri 09:00-13:00", "sat 09:00-13:00" or "mon,wed 16:00-19:00" (repeat)', collect)
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string | undefined, flags: { hours?: string[] }) => {
        const therapist = await requireTherapist(env, ctx, ref);
        const blocks = parseAll(await hoursFrom(env, flags.hours));
        await setWorkingHours(ctx, { therapistId: therapist.id, blocks });
        const weeks = await weeklyHours(ctx, { therapistId: therapist.id });
        emit(env, weekJson(weeks)[0], () => [
          bold(env, `Working hours of ${therapist.full_name} replaced.`),
          '',
          ...weekGrid(weeks),
          dim(env, 'Slots already made are unchanged; run `roshni slots generate --from … --to …` for slots in the new hours.'),
        ]);
        return 0;
      }),
    );

  hours
    .command('show')
    .description('The weekly hours of one therapist, or of every active therapist')
    .argument('[therapist]', 'id, username or part of the name')
    .action(
      sessionAction(run, async ({ ctx, env }, ref: string | undefined) => {
        const therapistId = ref === undefined ? undefined : (await requireTherapist(env, ctx, ref)).id;
        const weeks = await weeklyHours(ctx, therapistId === undefined ? {} : { therapistId });
        emit(env, weekJson(weeks), () => (weeks.length ? weekGrid(weeks) : 'No therapists yet.'));
        return 0;
      }),
    );
}
