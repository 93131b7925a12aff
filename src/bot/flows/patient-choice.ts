import { patientsInCare } from '../../domain/people/in-care.js';
import { ask, choice, data, opt, say, t, unknownInput } from '../engine/kit.js';
import type { StepHandler, Turn } from '../engine/types.js';
import { idFrom } from './common.js';

// A guardian with several children picks which child, each time it matters.

type Continue = (turn: Turn, patientId: number) => Promise<void>;
const continuations = new Map<string, Continue>();

/** Flows name what happens once the patient is known, so a stored conversation can resume it. */
export function whenPatientPicked(name: string, next: Continue): void {
  continuations.set(name, next);
}

export async function pickPatient(turn: Turn, after: string): Promise<void> {
  const inCare = await patientsInCare(turn.ctx);
  if (!inCare.length) return say(turn, 'noChildren');
  if (inCare.length === 1) return continuations.get(after)!(turn, inCare[0]!.id);
  ask(
    turn,
    'child.pick',
    t(turn, 'pickChild'),
    inCare.map((p) => opt(`patient:${p.id}`, p.fullName)),
    { after },
  );
}

const pick: StepHandler = async (turn) => {
  const patientId = idFrom(choice(turn), 'patient');
  const next = continuations.get(data<string>(turn, 'after'));
  const inCare = await patientsInCare(turn.ctx);
  if (!patientId || !next || !inCare.some((p) => p.id === patientId)) return unknownInput(turn);
  await next(turn, patientId);
};

export const patientChoiceSteps: Record<string, StepHandler> = { 'child.pick': pick };
