import { InvalidArgumentError, type Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, table } from '../cli/output.js';
import { askSelect, askText } from '../cli/prompts.js';
import type { CommandEnv } from '../cli/io.js';
import { valueProblem } from '../cli/option-errors.js';
import { sessionAction } from '../cli/session.js';
import { clinicPoliciesInput, getClinicPolicies, updateClinicPolicies, type ClinicPolicies, type ClinicPoliciesInput } from '../domain/clinic/policies.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';

// `roshni settings`: the clinic's booking, reminder and charging rules, and staff sessions' idle time. Each setting is one flag;
// the domain's schema checks each value as its flag is read, so a bad one is told under the flag's name.

interface Setting {
  flag: string;
  label: string;
  example: string;
  show: (p: ClinicPolicies) => string;
  parse: (value: string) => ClinicPoliciesInput;
}

const whole = (value: string): number => {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
};

const yesNo = (value: string): boolean => {
  const v = value.trim().toLowerCase();
  if (['yes', 'y', 'true', 'on'].includes(v)) return true;
  if (['no', 'n', 'false', 'off'].includes(v)) return false;
  throw new InvalidArgumentError('must be yes or no.');
};

const UNIT_MINUTES: Record<string, number> = { d: 24 * 60, h: 60, m: 1, min: 1 };

/** "12h", "90m", "2d" or "90" (minutes) into minutes; undefined when it is none of these. */
const minutesOf = (text: string): number | undefined => {
  const m = /^\s*(\d+)\s*(d|h|m|min)?\s*$/i.exec(text);
  return m ? Number(m[1]) * UNIT_MINUTES[m[2]?.toLowerCase() ?? 'm']! : undefined;
};

/** "24h,2h" or "1440,120" (minutes) into minutes. */
const durations = (value: string): number[] =>
  value.split(',').map((part) => {
    const minutes = minutesOf(part);
    if (minutes === undefined) throw new InvalidArgumentError('must be times before the session such as "24h,2h" or "1440,120".');
    return minutes;
  });

const duration = (value: string, example: string): number => {
  const minutes = minutesOf(value);
  if (minutes === undefined) throw new InvalidArgumentError(`must be a duration such as ${example}.`);
  return minutes;
};

const hoursText = (minutes: number) => (minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`);
const idleText = (minutes: number) => (minutes % (24 * 60) === 0 ? `${minutes / (24 * 60)}d` : hoursText(minutes));

const SETTINGS: Setting[] = [
  {
    flag: 'late-cancel-hours',
    label: 'Late cancellation window (hours before)',
    example: '24',
    show: (p) => `${p.lateCancelHours} h`,
    parse: (v) => ({ lateCancelHours: whole(v) }),
  },
  {
    flag: 'late-cancel-fee',
    label: 'Late cancellation fee (₹)',
    example: '300',
    show: (p) => formatRupees(p.lateCancelFeePaise),
    parse: (v) => ({ lateCancelFeePaise: v }),
  },
  { flag: 'noshow-fee', label: 'No-show fee (₹)', example: '500', show: (p) => formatRupees(p.noShowFeePaise), parse: (v) => ({ noShowFeePaise: v }) },
  {
    flag: 'policy-draws-package',
    label: 'A late cancellation or no-show uses a package session first',
    example: 'yes',
    show: (p) => (p.policyDrawsPackage ? 'yes' : 'no'),
    parse: (v) => ({ policyDrawsPackage: yesNo(v) }),
  },
  {
    flag: 'reminders',
    label: 'Reminders before a session',
    example: '24h,2h',
    show: (p) => p.reminderOffsetsMinutes.map(hoursText).join(', ') || 'none',
    parse: (v) => ({ reminderOffsetsMinutes: durations(v) }),
  },
  {
    flag: 'quiet-hours',
    label: 'Quiet hours (no messages to patients)',
    example: '21:00-08:00',
    show: (p) => `${p.quietHoursStart}–${p.quietHoursEnd}`,
    parse: (v) => {
      const [start, end, ...rest] = v.split('-').map((s) => s.trim());
      if (!start || !end || rest.length) throw new InvalidArgumentError('must be a range such as 21:00-08:00.');
      return { quietHoursStart: start, quietHoursEnd: end };
    },
  },
  {
    flag: 'grace-minutes',
    label: 'Grace period before confirmations (minutes)',
    example: '3',
    show: (p) => `${p.changeGraceMinutes} min`,
    parse: (v) => ({ changeGraceMinutes: whole(v) }),
  },
  {
    flag: 'offer-minutes',
    label: 'Waitlist offers expire after (minutes)',
    example: '30',
    show: (p) => `${p.waitlistOfferMinutes} min`,
    parse: (v) => ({ waitlistOfferMinutes: whole(v) }),
  },
  {
    flag: 'min-notice-minutes',
    label: 'Earliest booking from now (minutes)',
    example: '120',
    show: (p) => `${p.minNoticeMinutes} min`,
    parse: (v) => ({ minNoticeMinutes: whole(v) }),
  },
  {
    flag: 'max-advance-days',
    label: 'Latest booking ahead (days)',
    example: '60',
    show: (p) => `${p.maxAdvanceDays} days`,
    parse: (v) => ({ maxAdvanceDays: whole(v) }),
  },
  {
    flag: 'therapist-summary',
    label: "Therapists' daily schedule message at",
    example: '07:30 or off',
    show: (p) => p.therapistSummaryAt ?? 'off',
    parse: (v) => ({ therapistSummaryAt: v.trim().toLowerCase() === 'off' ? null : v.trim() }),
  },
  {
    flag: 'session-idle',
    label: 'A staff session ends after idle (5m to 7d)',
    example: '12h',
    show: (p) => idleText(p.sessionIdleMinutes),
    parse: (v) => ({ sessionIdleMinutes: duration(v, '"12h" or "90m"') }),
  },
  {
    flag: 'retention-years',
    label: 'Keep records of past patients (years)',
    example: '7',
    show: (p) => `${p.dataRetentionYears} years`,
    parse: (v) => ({ dataRetentionYears: whole(v) }),
  },
];

/** A setting's value as its flag's parser: the words turned into the domain's input, checked by the domain's schema. */
const valueOf =
  (setting: Setting) =>
  (value: string): ClinicPoliciesInput => {
    const input = setting.parse(value);
    const checked = clinicPoliciesInput.safeParse(input);
    if (!checked.success) throw new InvalidArgumentError(checked.error.issues[0]!.message);
    return input;
  };

const optionKey = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function render(env: CommandEnv, policies: ClinicPolicies): void {
  emit(env, policies, () =>
    table(
      ['Setting', 'Value', 'Flag'],
      SETTINGS.map((s) => [s.label, s.show(policies), `--${s.flag}`]),
    ),
  );
}

async function askForOne(): Promise<ClinicPoliciesInput> {
  const flag = await askSelect({ message: 'Which setting?', choices: SETTINGS.map((s) => ({ value: s.flag, label: s.label })) });
  const setting = SETTINGS.find((s) => s.flag === flag)!;
  const answer = (await askText({ message: setting.label, placeholder: setting.example }))!;
  try {
    return valueOf(setting)(answer);
  } catch (error) {
    throw error instanceof InvalidArgumentError ? valueProblem(`--${setting.flag}`, answer, error.message) : error;
  }
}

export function register(program: Command, run: RunCommand): void {
  const settings = program
    .command('settings')
    .description("The clinic's rules: cancellation window and fees, reminders, quiet hours, waitlist offers, staff sessions' idle time");

  settings
    .command('show')
    .description('Show every setting')
    .action(
      sessionAction(run, async ({ ctx, env }) => {
        render(env, await getClinicPolicies(ctx));
        return 0;
      }),
    );

  const set = settings.command('set').description('Change settings (admins); prompts on a terminal when no flag is given');
  for (const s of SETTINGS) set.option(`--${s.flag} <value>`, `${s.label}, e.g. ${s.example}`, valueOf(s));
  set.action(
    sessionAction(run, async ({ ctx, env }, flags: Record<string, ClinicPoliciesInput | undefined>) => {
      const given = SETTINGS.filter((s) => flags[optionKey(s.flag)] !== undefined);
      let input: ClinicPoliciesInput = Object.assign({}, ...given.map((s) => flags[optionKey(s.flag)]!));
      if (!given.length) {
        if (!env.interactive) throw new InvalidInputError(`Nothing to change: give at least one of ${SETTINGS.map((s) => `--${s.flag}`).join(', ')}.`);
        input = await askForOne();
      }
      render(env, await updateClinicPolicies(ctx, input));
      return 0;
    }),
  );
}
