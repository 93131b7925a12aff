import type { ContactLanguage } from '../../infra/db/schema.js';
import { formatRupees } from '../money.js';
import { clinicTime, formatFriendly, formatFriendlyDay } from '../time.js';
import { encodeAction, type MessageAction } from './actions.js';
import type { NotificationKind } from './enqueue.js';

// What each message says, in English and Hindi. Only times, the therapist, the clinic, numbers and
// amounts: never a diagnosis, a service that would reveal one, or a note.

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
  /** Values for an SMS DLT template, in order. */
  smsVariables: string[];
  /** What the patient can do from the message: buttons on Telegram, numbered replies on WhatsApp. */
  actions: MessageAction[];
}

export interface TemplateContext {
  clinicName: string;
  clinicPhone: string | null;
  timezone: string;
}

type Payload = Record<string, unknown>;
type Lines = (
  p: Payload,
  when: (value: unknown) => string,
  c: TemplateContext,
  /** The clinic's local time of day ("10:00") and day ("Fri, 27 Nov") only. */
  fmt: { clock: (value: unknown) => string; day: (value: unknown) => string },
) => { subject: string; body: string; vars: string[] };

/** A session a reminder lists (several when they are back to back on one day). */
export interface ReminderSession {
  appointmentId: number;
  appointmentNumber: string;
  startsAt: string;
  therapistName: string;
}

const sessionsOf = (p: Payload): ReminderSession[] => (Array.isArray(p.sessions) ? (p.sessions as ReminderSession[]) : []);

const str = (value: unknown) => (value === undefined || value === null ? '' : String(value));
const money = (value: unknown) => formatRupees(Number(value ?? 0));

const en: Record<NotificationKind, Lines> = {
  booking_confirmed: (p, when) => ({
    subject: 'Appointment booked',
    body: p.sessions
      ? `${str(p.sessions)} sessions booked with ${str(p.therapistName)}, the first on ${when(p.startsAt)} (${str(p.appointmentNumber)}).`
      : `Your appointment with ${str(p.therapistName)} is booked for ${when(p.startsAt)} (${str(p.appointmentNumber)}).`,
    vars: [when(p.startsAt), str(p.therapistName)],
  }),
  appointment_changed: (p, when) => ({
    subject: 'Appointment moved',
    body: `Your appointment ${str(p.appointmentNumber)} has moved to ${when(p.startsAt)} with ${str(p.therapistName)}.`,
    vars: [when(p.startsAt), str(p.therapistName)],
  }),
  appointment_cancelled: (p, when) => ({
    subject: 'Appointment cancelled',
    body: `Your appointment ${str(p.appointmentNumber)} on ${when(p.startsAt)} is cancelled. Call us to book another time.`,
    vars: [when(p.startsAt)],
  }),
  reminder: (p, when, _c, { clock, day }) => {
    const sessions = sessionsOf(p);
    return {
      subject: 'Appointment reminder',
      body:
        sessions.length > 1
          ? `Reminder: ${sessions.length} sessions on ${day(sessions[0]!.startsAt)}:\n${sessions
              .map((s) => `• ${clock(s.startsAt)} with ${s.therapistName} (${s.appointmentNumber})`)
              .join('\n')}\nChoose below to confirm, cancel or reschedule each.`
          : `Reminder: your appointment ${str(p.appointmentNumber)} with ${str(p.therapistName)} is on ${when(p.startsAt)}. Will you come?`,
      vars: [when(p.startsAt), str(p.therapistName)],
    };
  },
  reschedule_needed: (p, when, _c, { clock, day }) => {
    const sessions = sessionsOf(p);
    const why =
      p.reason === 'clinic_holiday'
        ? 'the clinic is closed that day'
        : p.reason === 'therapist_leave'
          ? 'the therapist is on leave that day'
          : 'the day is off';
    const first = sessions[0];
    return {
      subject: 'Please choose a new time',
      body:
        sessions.length > 1
          ? `These sessions cannot go ahead (${why}):\n${sessions
              .map((s) => `• ${day(s.startsAt)}, ${clock(s.startsAt)} with ${s.therapistName} (${s.appointmentNumber})`)
              .join('\n')}\nChoose below to reschedule or cancel each, or call us.`
          : `Your appointment ${str(first?.appointmentNumber)} with ${str(first?.therapistName)} on ${when(first?.startsAt)} cannot go ahead: ${why}. Choose below to reschedule or cancel it, or call us.`,
      vars: [when(first?.startsAt), str(first?.therapistName)],
    };
  },
  payment_received: (p) => ({
    subject: 'Payment received',
    body: `We received ${money(p.amountPaise)}. Receipt ${str(p.receiptNumber)}. Thank you.`,
    vars: [money(p.amountPaise), str(p.receiptNumber)],
  }),
  refund_processed: (p) => ({
    subject: 'Refund processed',
    body: `Your refund of ${money(p.amountPaise)} is processed. Credit note ${str(p.creditNoteNumber)}.`,
    vars: [money(p.amountPaise), str(p.creditNoteNumber)],
  }),
  waitlist_offer: (p, when) => ({
    subject: 'A place has opened',
    body: `A place opened with ${str(p.therapistName)} on ${when(p.startsAt)}. Reply or call before ${when(p.expiresAt)} to take it.`,
    vars: [when(p.startsAt), when(p.expiresAt)],
  }),
  staff_reply: (p) => ({ subject: 'A reply from the clinic', body: str(p.text), vars: [str(p.text)] }),
  therapist_daily_summary: (p) => ({
    subject: 'Your day',
    body: `Your appointments on ${str(p.date)}: ${str(p.count)}. First at ${str(p.firstAt)}.${
      Array.isArray(p.lines) ? `\n${(p.lines as string[]).join('\n')}` : ''
    }`,
    vars: [str(p.date), str(p.count)],
  }),
  admin_alert: (p) => ({ subject: 'Roshni alert', body: str(p.text), vars: [str(p.text)] }),
};

const hi: Record<NotificationKind, Lines> = {
  ...en,
  booking_confirmed: (p, when) => ({
    subject: 'अपॉइंटमेंट बुक हुआ',
    body: p.sessions
      ? `${str(p.therapistName)} के साथ ${str(p.sessions)} सत्र बुक हुए, पहला ${when(p.startsAt)} को (${str(p.appointmentNumber)})।`
      : `${str(p.therapistName)} के साथ आपका अपॉइंटमेंट ${when(p.startsAt)} को बुक है (${str(p.appointmentNumber)})।`,
    vars: [when(p.startsAt), str(p.therapistName)],
  }),
  appointment_changed: (p, when) => ({
    subject: 'अपॉइंटमेंट का समय बदला',
    body: `आपका अपॉइंटमेंट ${str(p.appointmentNumber)} अब ${when(p.startsAt)} को ${str(p.therapistName)} के साथ है।`,
    vars: [when(p.startsAt), str(p.therapistName)],
  }),
  appointment_cancelled: (p, when) => ({
    subject: 'अपॉइंटमेंट रद्द',
    body: `${when(p.startsAt)} का आपका अपॉइंटमेंट ${str(p.appointmentNumber)} रद्द हो गया है। नया समय लेने के लिए हमें फ़ोन करें।`,
    vars: [when(p.startsAt)],
  }),
  reminder: (p, when, _c, { clock, day }) => {
    const sessions = sessionsOf(p);
    return {
      subject: 'अपॉइंटमेंट की याद',
      body:
        sessions.length > 1
          ? `याद दिला दें: ${day(sessions[0]!.startsAt)} को ${sessions.length} सत्र हैं:\n${sessions
              .map((s) => `• ${clock(s.startsAt)} ${s.therapistName} के साथ (${s.appointmentNumber})`)
              .join('\n')}\nहर सत्र की पुष्टि करने, रद्द करने या समय बदलने के लिए नीचे के विकल्प चुनें।`
          : `याद दिला दें: ${str(p.therapistName)} के साथ आपका अपॉइंटमेंट ${str(p.appointmentNumber)} ${when(p.startsAt)} को है। क्या आप आएँगे?`,
      vars: [when(p.startsAt), str(p.therapistName)],
    };
  },
  reschedule_needed: (p, when, _c, { clock, day }) => {
    const sessions = sessionsOf(p);
    const why = p.reason === 'clinic_holiday' ? 'उस दिन क्लिनिक बंद है' : p.reason === 'therapist_leave' ? 'उस दिन थेरेपिस्ट छुट्टी पर हैं' : 'उस दिन छुट्टी है';
    const first = sessions[0];
    return {
      subject: 'कृपया नया समय चुनें',
      body:
        sessions.length > 1
          ? `ये सत्र नहीं हो पाएँगे (${why}):\n${sessions
              .map((s) => `• ${day(s.startsAt)}, ${clock(s.startsAt)} ${s.therapistName} के साथ (${s.appointmentNumber})`)
              .join('\n')}\nहर सत्र का समय बदलने या उसे रद्द करने के लिए नीचे चुनें, या हमें फ़ोन करें।`
          : `${str(first?.therapistName)} के साथ ${when(first?.startsAt)} का आपका अपॉइंटमेंट ${str(first?.appointmentNumber)} नहीं हो पाएगा: ${why}। समय बदलने या रद्द करने के लिए नीचे चुनें, या हमें फ़ोन करें।`,
      vars: [when(first?.startsAt), str(first?.therapistName)],
    };
  },
  payment_received: (p) => ({
    subject: 'भुगतान प्राप्त',
    body: `हमें ${money(p.amountPaise)} प्राप्त हुए। रसीद ${str(p.receiptNumber)}। धन्यवाद।`,
    vars: [money(p.amountPaise), str(p.receiptNumber)],
  }),
  refund_processed: (p) => ({
    subject: 'रिफ़ंड हो गया',
    body: `आपका ${money(p.amountPaise)} का रिफ़ंड हो गया है। क्रेडिट नोट ${str(p.creditNoteNumber)}।`,
    vars: [money(p.amountPaise), str(p.creditNoteNumber)],
  }),
  waitlist_offer: (p, when) => ({
    subject: 'एक समय खाली हुआ है',
    body: `${str(p.therapistName)} के साथ ${when(p.startsAt)} का समय खाली हुआ है। लेने के लिए ${when(p.expiresAt)} से पहले जवाब दें।`,
    vars: [when(p.startsAt), when(p.expiresAt)],
  }),
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const ACTION_WORDS = {
  en: { confirm: 'Confirm', cancel: 'Cancel', reschedule: 'Reschedule', yes: 'Yes, book it', no: 'No, thanks' },
  hi: { confirm: 'पुष्टि करें', cancel: 'रद्द करें', reschedule: 'समय बदलें', yes: 'हाँ, बुक करें', no: 'नहीं, धन्यवाद' },
} as const;

/**
 * The actions a message offers: per listed session for a reminder (confirm, cancel, reschedule) and
 * for a day off's reschedule message (reschedule, cancel); yes/no for a waitlist offer.
 */
function actionsOf(
  kind: NotificationKind,
  language: ContactLanguage,
  p: Payload,
  clock: (value: unknown) => string,
  day: (value: unknown) => string,
): MessageAction[] {
  const words = ACTION_WORDS[language === 'hi' ? 'hi' : 'en'];
  if (kind === 'waitlist_offer' && typeof p.offerId === 'number') {
    return [
      { value: encodeAction({ verb: 'offer-yes', offerId: p.offerId }), label: words.yes },
      { value: encodeAction({ verb: 'offer-no', offerId: p.offerId }), label: words.no },
    ];
  }
  if (kind !== 'reminder' && kind !== 'reschedule_needed') return [];
  const sessions = sessionsOf(p);
  const several = sessions.length > 1;
  // A reminder's sessions share a day; a reschedule message's may not.
  const at = (s: ReminderSession) => (kind === 'reminder' ? clock(s.startsAt) : `${day(s.startsAt)} ${clock(s.startsAt)}`);
  const verbs = kind === 'reminder' ? (['confirm', 'cancel', 'reschedule'] as const) : (['reschedule', 'cancel'] as const);
  return sessions.flatMap((s) =>
    verbs.map((verb) => ({
      value: encodeAction({ verb, appointmentId: s.appointmentId, startsAt: new Date(s.startsAt) }),
      label: several ? `${words[verb]} ${at(s)} (${s.appointmentNumber})` : words[verb],
    })),
  );
}

export function renderMessage(kind: NotificationKind, language: ContactLanguage, payload: Payload, context: TemplateContext): RenderedMessage {
  const locale = language === 'hi' ? 'hi-IN' : 'en-IN';
  const when = (value: unknown) => (value ? formatFriendly(new Date(String(value)), context.timezone, locale) : '');
  const clock = (value: unknown) => (value ? clinicTime(new Date(String(value)), context.timezone) : '');
  const day = (value: unknown) => (value ? formatFriendlyDay(new Date(String(value)), context.timezone, locale) : '');
  const lines = (language === 'hi' ? hi : en)[kind] ?? en[kind];
  const { subject, body, vars } = lines(payload, when, context, { clock, day });
  const signature = context.clinicPhone ? `${context.clinicName} (${context.clinicPhone})` : context.clinicName;
  const text = `${body}\n— ${signature}`;
  const html = `<!doctype html><html lang="${language}"><body><p>${escapeHtml(body).replace(/\n/g, '<br>')}</p><p>— ${escapeHtml(signature)}</p></body></html>`;
  return { subject: `${subject} — ${context.clinicName}`, text, html, smsVariables: vars, actions: actionsOf(kind, language, payload, clock, day) };
}
