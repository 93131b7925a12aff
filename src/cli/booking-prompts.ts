import type { DomainContext } from '../domain/context.js';
import { InvalidInputError } from '../domain/errors.js';
import { listTherapists } from '../domain/people/therapists.js';
import { resolvePatient, resolveTherapist } from '../domain/people/resolve.js';
import { listServices, requireServiceByCode } from '../domain/scheduling/services.js';
import type { CommandEnv } from './io.js';
import { askSelect, requireFlag } from './prompts.js';

export async function patientFrom(env: CommandEnv, ctx: DomainContext, ref: string | undefined) {
  return resolvePatient(ctx, await requireFlag(env, ref, '--patient', { message: 'Patient (name, phone, P-number or id)' }));
}

export async function serviceFrom(env: CommandEnv, ctx: DomainContext, code: string | undefined) {
  if (code) return requireServiceByCode(ctx, code);
  if (!env.interactive) throw new InvalidInputError('--service is required (or run the command in a terminal to be asked).');
  const services = await listServices(ctx);
  const chosen = await askSelect({ message: 'Service', choices: services.map((s) => ({ value: s.code, label: s.name, hint: `${s.duration_minutes} min` })) });
  return requireServiceByCode(ctx, chosen);
}

/** A therapist, or undefined for "any therapist who offers the service". */
export async function therapistFrom(
  env: CommandEnv,
  ctx: DomainContext,
  ref: string | undefined,
  specialization: string | null,
): Promise<{ id: number; full_name: string } | undefined> {
  if (ref) return ref.toLowerCase() === 'any' ? undefined : resolveTherapist(ctx, ref);
  if (!env.interactive) return undefined;
  const therapists = (await listTherapists(ctx)).filter((t) => !specialization || t.specializations.includes(specialization));
  const chosen = await askSelect({
    message: 'Therapist',
    choices: [{ value: 'any', label: 'Any therapist' }, ...therapists.map((t) => ({ value: String(t.id), label: t.full_name }))],
  });
  return chosen === 'any' ? undefined : resolveTherapist(ctx, chosen);
}
