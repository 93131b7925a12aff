import { z } from 'zod';
import { isDomainError } from '../../domain/errors.js';
import { findAvailability, type AvailableSlot } from '../../domain/scheduling/availability.js';
import { bookAppointment } from '../../domain/scheduling/book-appointment.js';
import { serviceOfAppointment } from '../../domain/scheduling/appointment-queries.js';
import { rescheduleAppointment } from '../../domain/scheduling/reschedule-appointment.js';
import { listServices } from '../../domain/scheduling/services.js';
import { addDays, clinicDate, clinicTime, isoDate } from '../../domain/time.js';
import { defineFlow, step } from '../engine/flow.js';
import { friendlyDay, friendlyTime, money } from '../engine/i18n.js';
import { ask, choice, opt, say, t, unknownInput } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';
import { bookingVia, guarded, idFrom, localName, recordId } from './common.js';

// Book (and reschedule, which reuses the therapist, day and time steps): a service ("not sure":
// an assessment), a therapist or anyone, a day (soonest first), a time from real availability.

export const SEARCH_DAYS = 14;
const MAX_DAYS_SHOWN = 7;
const MAX_TIMES_SHOWN = 10;

// What the search carries from step to step: a new booking's service, or the appointment to move.
const booking = z.object({
  mode: z.literal('book'),
  patientId: recordId,
  serviceId: recordId,
  serviceName: z.string(),
  serviceNameHi: z.string().nullable(),
  pricePaise: z.number().int().nonnegative(),
});
const moving = z.object({ mode: z.literal('reschedule'), patientId: recordId, serviceId: recordId, appointmentId: recordId, appointmentNumber: z.string() });
const search = z.discriminatedUnion('mode', [booking, moving]);
const withTherapist = z.object({ therapistId: recordId.nullable() });
const onDay = withTherapist.extend({ day: isoDate });
const onSlot = onDay.extend({ slotId: recordId });
type Search = z.infer<typeof search>;
type OnDay = Search & z.infer<typeof onDay>;

async function askService(turn: Turn, patientId: number): Promise<void> {
  const services = await listServices(turn.ctx);
  const regular = services.filter((s) => !s.is_assessment && s.max_participants === 1);
  const assessment = services.find((s) => s.is_assessment);
  ask(
    turn,
    'book.service',
    t(turn, 'pickService'),
    [
      ...regular.map((s) => opt(`service:${s.id}`, `${localName(turn, s.name, s.name_hi)} (${money(s.price_paise)})`)),
      ...(assessment ? [opt(`service:${assessment.id}`, t(turn, 'notSure'))] : []),
    ],
    { patientId },
  );
}

function availability(turn: Turn, stored: Search & { therapistId?: number | null }, from: string, to: string): Promise<AvailableSlot[]> {
  const { serviceId, patientId, therapistId } = stored;
  return findAvailability(turn.ctx, { serviceId, patientId, from, to, ...(therapistId ? { therapistId } : {}) });
}

const today = (turn: Turn) => clinicDate(turn.ctx.clock.now(), turn.ctx.timezone);

const service = step(z.object({ patientId: recordId }), async (turn, { patientId }) => {
  const serviceId = idFrom(choice(turn), 'service');
  if (!serviceId) return unknownInput(turn);
  const picked = (await listServices(turn.ctx)).find((s) => s.id === serviceId);
  if (!picked) return unknownInput(turn);
  await askTherapist(turn, {
    mode: 'book',
    patientId,
    serviceId,
    serviceName: picked.name,
    serviceNameHi: picked.name_hi,
    pricePaise: picked.price_paise,
  });
});

/** Therapists with a free time for the service in the coming days (or straight to "no availability"). */
async function askTherapist(turn: Turn, stored: Search): Promise<void> {
  const slots = await availability(turn, stored, today(turn), addDays(today(turn), SEARCH_DAYS - 1));
  if (!slots.length) return noAvailability(turn, stored);
  const therapists = [...new Map(slots.map((s) => [s.therapistId, s.therapistName])).entries()];
  ask(
    turn,
    'book.therapist',
    t(turn, 'pickTherapist'),
    [opt('therapist:any', t(turn, 'anyTherapist')), ...therapists.map(([id, name]) => opt(`therapist:${id}`, name))],
    stored,
  );
}

function noAvailability(turn: Turn, stored: Search): void {
  const waitlist = stored.mode === 'book' ? [opt('waitlist', t(turn, 'joinWaitlist'))] : [];
  ask(turn, 'book.none', t(turn, 'noAvailability', { days: SEARCH_DAYS }), [...waitlist, opt('menu', t(turn, 'backToMenu'))], stored);
}

const none = step(search, async (turn, { patientId, serviceId }) => {
  const picked = choice(turn);
  if (picked === 'waitlist') return turn.goTo('waitlist', { patientId, serviceId });
  if (picked === 'menu') return turn.goTo('menu');
  unknownInput(turn);
});

const therapist = step(search, async (turn, stored) => {
  const picked = choice(turn);
  if (picked !== 'therapist:any' && !idFrom(picked, 'therapist')) return unknownInput(turn);
  await askDay(turn, { ...stored, therapistId: idFrom(picked, 'therapist') ?? null }, 'pickDay');
});

async function askDay(turn: Turn, stored: Search & z.infer<typeof withTherapist>, intro: 'pickDay' | 'slotTakenDay'): Promise<void> {
  const slots = await availability(turn, stored, today(turn), addDays(today(turn), SEARCH_DAYS - 1));
  if (!slots.length) return noAvailability(turn, stored);
  const days = [...new Set(slots.map((s) => clinicDate(s.startsAt, turn.ctx.timezone)))].slice(0, MAX_DAYS_SHOWN);
  const lang = turn.conversation.language;
  ask(
    turn,
    'book.day',
    t(turn, intro),
    days.map((d) => opt(`day:${d}`, friendlyDay(d, lang))),
    stored,
  );
}

const day = step(search.and(withTherapist), async (turn, stored) => {
  const picked = isoDate.safeParse(choice(turn)?.replace(/^day:/, ''));
  if (!picked.success) return unknownInput(turn);
  await askTime(turn, { ...stored, day: picked.data }, 'pickTime');
});

async function askTime(turn: Turn, stored: OnDay, intro: 'pickTime' | 'slotTaken'): Promise<void> {
  const date = stored.day;
  const slots = await availability(turn, stored, date, date);
  if (!slots.length) return askDay(turn, stored, 'slotTakenDay');
  const anyone = !stored.therapistId;
  const lang = turn.conversation.language;
  ask(
    turn,
    'book.time',
    t(turn, intro, { day: friendlyDay(date, lang) }),
    slots.slice(0, MAX_TIMES_SHOWN).map((s) => opt(`slot:${s.slotId}`, `${clinicTime(s.startsAt, turn.ctx.timezone)}${anyone ? ` · ${s.therapistName}` : ''}`)),
    stored,
  );
}

const time = step(search.and(onDay), async (turn, stored) => {
  const slotId = idFrom(choice(turn), 'slot');
  if (!slotId) return unknownInput(turn);
  const slot = (await availability(turn, stored, stored.day, stored.day)).find((s) => s.slotId === slotId);
  if (!slot) return askTime(turn, stored, 'slotTaken');
  const when = friendlyTime(slot.startsAt, turn.ctx.timezone, turn.conversation.language);
  const question =
    stored.mode === 'reschedule'
      ? `${stored.appointmentNumber} → ${when}, ${slot.therapistName}?`
      : t(turn, 'confirmBooking', {
          service: localName(turn, stored.serviceName, stored.serviceNameHi),
          therapist: slot.therapistName,
          when,
          price: money(stored.pricePaise),
        });
  const yes = opt('yes', t(turn, stored.mode === 'reschedule' ? 'reschedule' : 'yesBook'));
  ask(turn, 'book.confirm', question, [yes, opt('no', t(turn, 'no'))], { ...stored, slotId });
});

const confirm = step(search.and(onSlot), async (turn, stored) => {
  const answer = choice(turn);
  if (answer === 'no') {
    say(turn, 'keptAppointment');
    return turn.goTo('menu');
  }
  if (answer !== 'yes') return unknownInput(turn);
  const { slotId } = stored;
  try {
    if (stored.mode === 'reschedule') {
      const moved = await guarded(turn, () => rescheduleAppointment(turn.ctx, { appointmentId: stored.appointmentId, slotId }));
      say(turn, 'rescheduled', {
        number: moved.appointmentNumber,
        when: friendlyTime(moved.startsAt, turn.ctx.timezone, turn.conversation.language),
        therapist: moved.therapistName,
      });
      return turn.goTo('menu');
    }
    const { patientId, serviceId } = stored;
    const booked = await bookAppointment(turn.ctx, { patientId, slotId, serviceId, via: bookingVia(turn.conversation.channel) });
    say(turn, 'booked', {
      number: booked.appointmentNumber,
      service: localName(turn, booked.serviceName, stored.serviceNameHi),
      therapist: booked.therapistName,
      when: friendlyTime(booked.startsAt, turn.ctx.timezone, turn.conversation.language),
    });
    await turn.goTo('pay', { appointmentId: booked.id, amountPaise: booked.pricePaise });
  } catch (error) {
    // Taken while the patient was choosing (or no longer bookable): fresh options, never a dead end.
    if (isDomainError(error) && (error.kind === 'conflict' || error.kind === 'invalid')) return askTime(turn, stored, 'slotTaken');
    throw error;
  }
});

export const bookFlow = defineFlow({
  name: 'book',
  /** Nothing: whose appointment first; `patientId` once known; `reschedule` to move an appointment to a new time. */
  input: z.union([z.object({ patientId: recordId }), z.object({ reschedule: moving.omit({ mode: true, serviceId: true }) })]).optional(),
  async start(turn, input) {
    if (!input) return turn.goTo('patient-choice', { then: 'book' });
    if ('patientId' in input) return askService(turn, input.patientId);
    const serviceId = await serviceOfAppointment(turn.ctx, input.reschedule.appointmentId);
    await askTherapist(turn, { mode: 'reschedule', ...input.reschedule, serviceId });
  },
  steps: { service, therapist, none, day, time, confirm },
});
