import type { DomainContext } from '../domain/context.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatRupees } from '../domain/money.js';
import { listTherapists } from '../domain/people/therapists.js';
import { resolveTherapist } from '../domain/people/resolve.js';
import { listServices, requireServiceByCode } from '../domain/scheduling/services.js';
import { getSlot } from '../domain/scheduling/slot-queries.js';
import { formatFriendly } from '../domain/time.js';
import { writeLine, type CommandEnv } from './io.js';
import { patientFor, therapistFor } from './pick-person.js';
import { anythingAsked, askConfirm, askSelect, PromptCancelledError, requireFlag } from './prompts.js';

export async function patientFrom(env: CommandEnv, ctx: DomainContext, ref: string | undefined) {
  return patientFor(env, ctx, await requireFlag(env, ref, '--patient', { message: 'Patient (name, phone, P-number or id)' }));
}

export async function serviceFrom(env: CommandEnv, ctx: DomainContext, code: string | undefined) {
  if (code) return requireServiceByCode(ctx, code);
  if (!env.interactive) throw new InvalidInputError('--service is required (or run the command in a terminal to be asked).');
  const services = await listServices(ctx);
  const chosen = await askSelect({
    message: 'Service',
    choices: services.map((s) => ({ value: s.code, label: s.name, hint: `${s.duration_minutes} min` })),
    io: env.io,
  });
  return requireServiceByCode(ctx, chosen);
}

/** A therapist, or undefined for "any therapist who offers the service". */
export async function therapistFrom(
  env: CommandEnv,
  ctx: DomainContext,
  ref: string | undefined,
  specialization: string | null,
): Promise<{ id: number; full_name: string } | undefined> {
  if (ref) return ref.toLowerCase() === 'any' ? undefined : therapistFor(env, ctx, ref);
  if (!env.interactive) return undefined;
  const therapists = (await listTherapists(ctx)).filter((t) => !specialization || t.specializations.includes(specialization));
  const chosen = await askSelect({
    message: 'Therapist',
    choices: [{ value: 'any', label: 'Any therapist' }, ...therapists.map((t) => ({ value: String(t.id), label: t.full_name }))],
    io: env.io,
  });
  return chosen === 'any' ? undefined : resolveTherapist(ctx, chosen);
}

/** Lines of a summary, labels aligned. */
function summary(rows: Array<[label: string, value: string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

/**
 * Before a booking the terminal helped build is written: what it will be, and "Book it?". Scripts,
 * `--yes`, and a booking given wholly by flags (nothing was asked) are written at once. No is a
 * cancellation: nothing is written (exit 2).
 */
export async function confirmBooking(
  env: CommandEnv,
  ctx: DomainContext,
  booking: { patient: { patient_number: string; full_name: string }; service: { name: string; price_paise: number }; yes?: boolean },
  when: { slotId: number } | { series: string; therapistName: string },
): Promise<void> {
  if (!env.interactive || booking.yes || !anythingAsked(env.io)) return;
  const { patient, service } = booking;
  const one = 'slotId' in when ? await getSlot(ctx, when.slotId) : undefined;
  const [therapistName, whenText] = one
    ? [one.therapistName, `${formatFriendly(one.startsAt, ctx.timezone)} (${ctx.timezone})`]
    : [(when as { therapistName: string }).therapistName, (when as { series: string }).series];
  const lines = summary([
    ['Patient', `${patient.full_name} (${patient.patient_number})`],
    ['Service', service.name],
    ['Therapist', therapistName],
    ['When', whenText],
    ['Price', `${formatRupees(service.price_paise)}${one ? '' : ' a session'}`],
  ]);
  for (const line of ['', ...lines, '']) writeLine(env.io.stdout, line);
  if (!(await askConfirm(one ? 'Book it?' : 'Book the series?', true, env.io))) throw new PromptCancelledError();
}
