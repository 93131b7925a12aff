import { z } from 'zod';
import { isDomainError } from '../../domain/errors.js';
import { addToWaitlist, changeWaitlistDates } from '../../domain/scheduling/waitlist.js';
import { listServices } from '../../domain/scheduling/services.js';
import { addDays, clinicDate, isoDate } from '../../domain/time.js';
import { friendlyDay } from '../engine/i18n.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, opt, say, t, unknownInput } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';
import { guarded, idFrom, localName, recordId } from './common.js';

// Join the waitlist for a service, with anyone, for the coming two weeks; once per service: joining
// again says until when the patient already waits and offers two more weeks.

const WAIT_DAYS = 14;

async function askService(turn: Turn, patientId: number): Promise<void> {
  const services = (await listServices(turn.ctx)).filter((s) => s.max_participants === 1);
  ask(
    turn,
    'waitlist.service',
    t(turn, 'pickService'),
    services.map((s) => opt(`service:${s.id}`, localName(turn, s.name, s.name_hi))),
    { patientId },
  );
}

const service = step(z.object({ patientId: recordId }), async (turn, { patientId }) => {
  const serviceId = idFrom(choice(turn), 'service');
  if (!serviceId) return unknownInput(turn);
  await joinWaitlist(turn, patientId, serviceId);
});

async function joinWaitlist(turn: Turn, patientId: number, serviceId: number): Promise<void> {
  const from = clinicDate(turn.ctx.clock.now(), turn.ctx.timezone);
  const to = addDays(from, WAIT_DAYS - 1);
  const entry = await guarded(turn, () => addToWaitlist(turn.ctx, { patientId, serviceId, from, to }));
  const service = await serviceName(turn, serviceId);
  if (!entry.alreadyWaiting) {
    say(turn, 'waitlistJoined', { service, to: day(turn, to) });
    return turn.goTo('menu');
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

const waiting = z.object({ entryId: recordId, serviceId: recordId, from: isoDate, later: isoDate });

const dates = step(waiting, async (turn, { entryId, serviceId, from, later }) => {
  const picked = choice(turn);
  if (picked === 'waitlist:keep') {
    say(turn, 'keptAppointment');
    return turn.goTo('menu');
  }
  if (picked !== 'waitlist:longer') return unknownInput(turn);
  try {
    const entry = await guarded(turn, () => changeWaitlistDates(turn.ctx, { entryId, from, to: later }));
    say(turn, 'waitlistDatesChanged', { service: await serviceName(turn, serviceId), to: day(turn, entry.latest_on) });
  } catch (error) {
    // Booked from an offer or taken off by the desk since the question was asked.
    if (!(isDomainError(error) && error.kind === 'not_found')) throw error;
    say(turn, 'waitlistEntryGone');
  }
  await turn.goTo('menu');
});

const day = (turn: Turn, date: string) => friendlyDay(date, turn.conversation.language);

async function serviceName(turn: Turn, serviceId: number): Promise<string> {
  const picked = (await listServices(turn.ctx)).find((s) => s.id === serviceId);
  return picked ? localName(turn, picked.name, picked.name_hi) : '';
}

export const waitlistFlow = defineFlow({
  name: 'waitlist',
  /** Nothing: whose wait first; `patientId` once known (then the service), with `serviceId` to join at once. */
  input: z.object({ patientId: recordId, serviceId: recordId.optional() }).optional(),
  start(turn, input) {
    if (!input) return turn.goTo('patient-choice', { then: 'waitlist' });
    return input.serviceId ? joinWaitlist(turn, input.patientId, input.serviceId) : askService(turn, input.patientId);
  },
  steps: { service, dates },
});
