import { z } from 'zod';

// What a patient can do straight from a message: confirm, cancel or reschedule the appointment a
// reminder names, or answer a waitlist offer. An action travels as a short token (a Telegram
// button's callback data, or the value behind a numbered WhatsApp reply) that carries the
// appointment's start time as the patient saw it, so a reply to an outdated reminder is recognised
// and never acts on the appointment as it is now.

export type PatientAction =
  { verb: 'confirm' | 'cancel' | 'reschedule'; appointmentId: number; startsAt: Date } | { verb: 'offer-yes' | 'offer-no'; offerId: number };

export interface MessageAction {
  value: string;
  label: string;
}

const PREFIX = 'act';

export function encodeAction(action: PatientAction): string {
  if ('offerId' in action) return `${PREFIX}:${action.verb}:${action.offerId}`;
  return `${PREFIX}:${action.verb}:${action.appointmentId}:${Math.floor(action.startsAt.getTime() / 1000)}`;
}

const id = z.coerce.number().int().positive().max(2_147_483_647);
const appointmentToken = z.tuple([z.literal(PREFIX), z.enum(['confirm', 'cancel', 'reschedule']), id, z.coerce.number().int().positive()]);
const offerToken = z.tuple([z.literal(PREFIX), z.enum(['offer-yes', 'offer-no']), id]);

export const isActionToken = (value: string) => value.startsWith(`${PREFIX}:`);

/** The action behind a token, or null for anything else (a forged or garbled token included). */
export function parseAction(value: string): PatientAction | null {
  const parts = value.split(':');
  const appointment = appointmentToken.safeParse(parts);
  if (appointment.success) {
    const [, verb, appointmentId, seconds] = appointment.data;
    return { verb, appointmentId, startsAt: new Date(seconds * 1000) };
  }
  const offer = offerToken.safeParse(parts);
  return offer.success ? { verb: offer.data[1], offerId: offer.data[2] } : null;
}
