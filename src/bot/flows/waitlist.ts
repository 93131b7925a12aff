import { addToWaitlist } from '../../domain/scheduling/waitlist.js';
import { listServices } from '../../domain/scheduling/services.js';
import { addDays, clinicDate } from '../../domain/time.js';
import { friendlyDay } from '../engine/i18n.js';
import { ask, choice, data, opt, say, t, unknownInput } from '../engine/kit.js';
import type { StepHandler, Turn } from '../engine/types.js';
import { guarded, idFrom, localName } from './common.js';
import { showMenu } from './menu.js';
import { pickPatient, whenPatientPicked } from './patient-choice.js';

// Join the waitlist for a service, with anyone, for the coming two weeks.

const WAIT_DAYS = 14;

export function startWaitlist(turn: Turn): Promise<void> {
  return pickPatient(turn, 'waitlist');
}

whenPatientPicked('waitlist', async (turn, patientId) => {
  const services = (await listServices(turn.ctx)).filter((s) => s.max_participants === 1);
  ask(turn, 'waitlist.service', t(turn, 'pickService'), services.map((s) => opt(`service:${s.id}`, localName(turn, s.name, s.name_hi))), { patientId });
});

const service: StepHandler = async (turn) => {
  const serviceId = idFrom(choice(turn), 'service');
  if (!serviceId) return unknownInput(turn);
  await joinWaitlist(turn, data<number>(turn, 'patientId'), serviceId);
};

export async function joinWaitlist(turn: Turn, patientId: number, serviceId: number): Promise<void> {
  const from = clinicDate(turn.ctx.clock.now(), turn.ctx.timezone);
  const to = addDays(from, WAIT_DAYS - 1);
  await guarded(turn, () => addToWaitlist(turn.ctx, { patientId, serviceId, from, to }));
  const picked = (await listServices(turn.ctx)).find((s) => s.id === serviceId);
  say(turn, 'waitlistJoined', { service: picked ? localName(turn, picked.name, picked.name_hi) : '', to: friendlyDay(to, turn.conversation.language) });
  showMenu(turn);
}

export const waitlistSteps: Record<string, StepHandler> = { 'waitlist.service': service };
