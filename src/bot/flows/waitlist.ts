import { isDomainError } from '../../domain/errors.js';
import { addToWaitlist, changeWaitlistDates } from '../../domain/scheduling/waitlist.js';
import { listServices } from '../../domain/scheduling/services.js';
import { addDays, clinicDate } from '../../domain/time.js';
import { friendlyDay } from '../engine/i18n.js';
import { ask, choice, data, opt, say, t, unknownInput } from '../engine/kit.js';
import type { StepHandler, Turn } from '../engine/types.js';
import { guarded, idFrom, localName } from './common.js';
import { showMenu } from './menu.js';
import { pickPatient, whenPatientPicked } from './patient-choice.js';

// Join the waitlist for a service, with anyone, for the coming two weeks; once per service: joining
// again says until when the patient already waits and offers two more weeks.

const WAIT_DAYS = 14;

export function startWaitlist(turn: Turn): Promise<void> {
  return pickPatient(turn, 'waitlist');
}

whenPatientPicked('waitlist', async (turn, patientId) => {
  const services = (await listServices(turn.ctx)).filter((s) => s.max_participants === 1);
  ask(
    turn,
    'waitlist.service',
    t(turn, 'pickService'),
    services.map((s) => opt(`service:${s.id}`, localName(turn, s.name, s.name_hi))),
    { patientId },
  );
});

const service: StepHandler = async (turn) => {
  const serviceId = idFrom(choice(turn), 'service');
  if (!serviceId) return unknownInput(turn);
  await joinWaitlist(turn, data<number>(turn, 'patientId'), serviceId);
};

export async function joinWaitlist(turn: Turn, patientId: number, serviceId: number): Promise<void> {
  const from = clinicDate(turn.ctx.clock.now(), turn.ctx.timezone);
  const to = addDays(from, WAIT_DAYS - 1);
  const entry = await guarded(turn, () => addToWaitlist(turn.ctx, { patientId, serviceId, from, to }));
  const service = await serviceName(turn, serviceId);
  if (!entry.alreadyWaiting) {
    say(turn, 'waitlistJoined', { service, to: day(turn, to) });
    return showMenu(turn);
  }
  // Waiting already: nothing added; offer two more weeks from the later of today and its last day.
  const later = addDays(entry.latest_on > from ? entry.latest_on : from, WAIT_DAYS);
  ask(
    turn,
    'waitlist.dates',
    t(turn, 'waitlistAlready', { service, to: day(turn, entry.latest_on), later: day(turn, later) }),
    [
      opt('waitlist:longer', t(turn, 'waitlistWaitLonger', { later: day(turn, later) })),
      opt('waitlist:keep', t(turn, 'waitlistKeepDates', { to: day(turn, entry.latest_on) })),
    ],
    { entryId: entry.id, serviceId, from: entry.earliest_on, later },
  );
}

const dates: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked === 'waitlist:keep') {
    say(turn, 'keptAppointment');
    return showMenu(turn);
  }
  if (picked !== 'waitlist:longer') return unknownInput(turn);
  const later = data<string>(turn, 'later');
  try {
    const entry = await guarded(turn, () =>
      changeWaitlistDates(turn.ctx, { entryId: data<number>(turn, 'entryId'), from: data<string>(turn, 'from'), to: later }),
    );
    say(turn, 'waitlistDatesChanged', { service: await serviceName(turn, data<number>(turn, 'serviceId')), to: day(turn, entry.latest_on) });
  } catch (error) {
    // Booked from an offer or taken off by the desk since the question was asked.
    if (!(isDomainError(error) && error.kind === 'not_found')) throw error;
    say(turn, 'waitlistEntryGone');
  }
  showMenu(turn);
};

const day = (turn: Turn, date: string) => friendlyDay(date, turn.conversation.language);

async function serviceName(turn: Turn, serviceId: number): Promise<string> {
  const picked = (await listServices(turn.ctx)).find((s) => s.id === serviceId);
  return picked ? localName(turn, picked.name, picked.name_hi) : '';
}

export const waitlistSteps: Record<string, StepHandler> = { 'waitlist.service': service, 'waitlist.dates': dates };
