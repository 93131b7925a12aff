import { isDomainError } from '../../domain/errors.js';
import { findAvailability, type AvailableSlot } from '../../domain/scheduling/availability.js';
import { bookAppointment } from '../../domain/scheduling/book-appointment.js';
import { rescheduleAppointment } from '../../domain/scheduling/reschedule-appointment.js';
import { listServices } from '../../domain/scheduling/services.js';
import { addDays, clinicDate, clinicTime } from '../../domain/time.js';
import { friendlyDay, friendlyTime, money } from '../engine/i18n.js';
import { ask, choice, data, opt, say, t, unknownInput } from '../engine/kit.js';
import type { StepHandler, Turn } from '../engine/types.js';
import { bookingVia, guarded, idFrom, localName } from './common.js';
import { showMenu } from './menu.js';
import { offerPayment } from './pay.js';
import { pickPatient, whenPatientPicked } from './patient-choice.js';

// Book (and reschedule, which reuses the therapist, day and time steps): a service ("not sure":
// an assessment), a therapist or anyone, a day (soonest first), a time from real availability.

export const SEARCH_DAYS = 14;
const MAX_DAYS_SHOWN = 7;
const MAX_TIMES_SHOWN = 10;

export function startBooking(turn: Turn): Promise<void> {
  return pickPatient(turn, 'book');
}

whenPatientPicked('book', async (turn, patientId) => {
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
    { mode: 'book', patientId },
  );
});

function availability(turn: Turn, from: string, to: string, therapistId?: number | null): Promise<AvailableSlot[]> {
  return findAvailability(turn.ctx, {
    serviceId: data<number>(turn, 'serviceId'),
    patientId: data<number>(turn, 'patientId'),
    from,
    to,
    ...(therapistId ? { therapistId } : {}),
  });
}

const today = (turn: Turn) => clinicDate(turn.ctx.clock.now(), turn.ctx.timezone);

const service: StepHandler = async (turn) => {
  const serviceId = idFrom(choice(turn), 'service');
  if (!serviceId) return unknownInput(turn);
  const picked = (await listServices(turn.ctx)).find((s) => s.id === serviceId);
  if (!picked) return unknownInput(turn);
  turn.conversation.state.data = {
    ...turn.conversation.state.data,
    serviceId,
    serviceName: picked.name,
    serviceNameHi: picked.name_hi,
    pricePaise: picked.price_paise,
  };
  await askTherapist(turn);
};

/** Therapists with a free time for the service in the coming days (or straight to "no availability"). */
export async function askTherapist(turn: Turn): Promise<void> {
  const slots = await availability(turn, today(turn), addDays(today(turn), SEARCH_DAYS - 1));
  if (!slots.length) return noAvailability(turn);
  const therapists = [...new Map(slots.map((s) => [s.therapistId, s.therapistName])).entries()];
  ask(turn, 'book.therapist', t(turn, 'pickTherapist'), [
    opt('therapist:any', t(turn, 'anyTherapist')),
    ...therapists.map(([id, name]) => opt(`therapist:${id}`, name)),
  ]);
}

function noAvailability(turn: Turn): void {
  const waitlist = data(turn, 'mode') === 'book' ? [opt('waitlist', t(turn, 'joinWaitlist'))] : [];
  ask(turn, 'book.none', t(turn, 'noAvailability', { days: SEARCH_DAYS }), [...waitlist, opt('menu', t(turn, 'backToMenu'))]);
}

const none: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked === 'waitlist') {
    const { joinWaitlist } = await import('./waitlist.js');
    return joinWaitlist(turn, data<number>(turn, 'patientId'), data<number>(turn, 'serviceId'));
  }
  if (picked === 'menu') return showMenu(turn);
  unknownInput(turn);
};

const therapist: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked !== 'therapist:any' && !idFrom(picked, 'therapist')) return unknownInput(turn);
  turn.conversation.state.data = { ...turn.conversation.state.data, therapistId: idFrom(picked, 'therapist') ?? null };
  await askDay(turn, 'pickDay');
};

async function askDay(turn: Turn, intro: 'pickDay' | 'slotTakenDay'): Promise<void> {
  const slots = await availability(turn, today(turn), addDays(today(turn), SEARCH_DAYS - 1), data<number | null>(turn, 'therapistId'));
  if (!slots.length) return noAvailability(turn);
  const days = [...new Set(slots.map((s) => clinicDate(s.startsAt, turn.ctx.timezone)))].slice(0, MAX_DAYS_SHOWN);
  const lang = turn.conversation.language;
  ask(
    turn,
    'book.day',
    t(turn, intro),
    days.map((d) => opt(`day:${d}`, friendlyDay(d, lang))),
  );
}

const day: StepHandler = async (turn) => {
  const picked = choice(turn)?.replace(/^day:/, '');
  if (!picked || !/^\d{4}-\d{2}-\d{2}$/.test(picked)) return unknownInput(turn);
  turn.conversation.state.data = { ...turn.conversation.state.data, day: picked };
  await askTime(turn, 'pickTime');
};

async function askTime(turn: Turn, intro: 'pickTime' | 'slotTaken'): Promise<void> {
  const date = data<string>(turn, 'day');
  const slots = await availability(turn, date, date, data<number | null>(turn, 'therapistId'));
  if (!slots.length) return askDay(turn, 'slotTakenDay');
  const anyone = !data<number | null>(turn, 'therapistId');
  const lang = turn.conversation.language;
  ask(
    turn,
    'book.time',
    t(turn, intro, { day: friendlyDay(date, lang) }),
    slots.slice(0, MAX_TIMES_SHOWN).map((s) => opt(`slot:${s.slotId}`, `${clinicTime(s.startsAt, turn.ctx.timezone)}${anyone ? ` · ${s.therapistName}` : ''}`)),
  );
}

const time: StepHandler = async (turn) => {
  const slotId = idFrom(choice(turn), 'slot');
  if (!slotId) return unknownInput(turn);
  const date = data<string>(turn, 'day');
  const slot = (await availability(turn, date, date, data<number | null>(turn, 'therapistId'))).find((s) => s.slotId === slotId);
  if (!slot) return askTime(turn, 'slotTaken');
  const stored: Record<string, unknown> = { ...turn.conversation.state.data, slotId, therapistName: slot.therapistName, startsAt: slot.startsAt.toISOString() };
  const when = friendlyTime(slot.startsAt, turn.ctx.timezone, turn.conversation.language);
  const question =
    stored.mode === 'reschedule'
      ? `${String(stored.appointmentNumber)} → ${when}, ${slot.therapistName}?`
      : t(turn, 'confirmBooking', {
          service: localName(turn, String(stored.serviceName), (stored.serviceNameHi as string | null) ?? null),
          therapist: slot.therapistName,
          when,
          price: money(Number(stored.pricePaise)),
        });
  ask(turn, 'book.confirm', question, [opt('yes', t(turn, stored.mode === 'reschedule' ? 'reschedule' : 'yesBook')), opt('no', t(turn, 'no'))], stored);
};

const confirm: StepHandler = async (turn) => {
  const picked = choice(turn);
  if (picked === 'no') {
    say(turn, 'keptAppointment');
    return showMenu(turn);
  }
  if (picked !== 'yes') return unknownInput(turn);
  const slotId = data<number>(turn, 'slotId');
  try {
    if (data(turn, 'mode') === 'reschedule') {
      const moved = await guarded(turn, () => rescheduleAppointment(turn.ctx, { appointmentId: data<number>(turn, 'appointmentId'), slotId }));
      say(turn, 'rescheduled', {
        number: moved.appointmentNumber,
        when: friendlyTime(moved.startsAt, turn.ctx.timezone, turn.conversation.language),
        therapist: moved.therapistName,
      });
      return showMenu(turn);
    }
    const booked = await bookAppointment(turn.ctx, {
      patientId: data<number>(turn, 'patientId'),
      slotId,
      serviceId: data<number>(turn, 'serviceId'),
      via: bookingVia(turn.conversation.channel),
    });
    say(turn, 'booked', {
      number: booked.appointmentNumber,
      service: localName(turn, booked.serviceName, data<string | null>(turn, 'serviceNameHi')),
      therapist: booked.therapistName,
      when: friendlyTime(booked.startsAt, turn.ctx.timezone, turn.conversation.language),
    });
    await offerPayment(turn, booked.id, booked.pricePaise);
  } catch (error) {
    // Taken while the patient was choosing (or no longer bookable): fresh options, never a dead end.
    if (isDomainError(error) && (error.kind === 'conflict' || error.kind === 'invalid')) return askTime(turn, 'slotTaken');
    throw error;
  }
};

export const bookSteps: Record<string, StepHandler> = {
  'book.service': service,
  'book.therapist': therapist,
  'book.none': none,
  'book.day': day,
  'book.time': time,
  'book.confirm': confirm,
};
