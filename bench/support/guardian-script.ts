// What a simulated guardian does next, from the buttons of the bot's last reply: looks at their
// appointments and comes back, or goes through booking (child, service, therapist, day, time) and
// says "no" at the confirmation, so a run reads the database like a busy evening without filling it.

export interface Button {
  label: string;
  data: string;
}

export type Tap = { kind: 'press'; data: string } | { kind: 'write'; text: string };

/** A seeded generator (mulberry32): the same seed gives every run the same taps and pauses. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The callback buttons of a sendMessage/editMessageText's reply_markup, or null when it has none. */
export function buttonsOf(replyMarkup: unknown): Button[] | null {
  const rows = (replyMarkup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return null;
  const buttons = rows
    .flat()
    .filter((b): b is { text: string; callback_data: string } => typeof b?.callback_data === 'string')
    .map((b) => ({ label: String(b.text), data: b.callback_data }));
  return buttons.length ? buttons : null;
}

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

const MENU: Tap = { kind: 'write', text: 'menu' };

/** The next tap; with no buttons to follow (a plain text reply, or none yet) the guardian writes "menu". */
export function nextTap(buttons: readonly Button[] | null, random: () => number): Tap {
  if (!buttons?.length) return MENU;
  const values = buttons.map((b) => b.data);
  const has = (value: string) => values.includes(value);
  const press = (data: string): Tap => ({ kind: 'press', data });
  const withPrefix = (prefix: string) => values.filter((v) => v.startsWith(prefix));

  if (has('book') && has('mine')) return press(random() < 0.55 ? 'mine' : 'book');
  if (has('yes') && has('no')) return press('no'); // never books, cancels or moves anything
  if (has('clinic') && has('now')) return press('clinic');
  const appointments = withPrefix('appt:');
  if (appointments.length && has('menu')) return press(random() < 0.5 ? pick(appointments, random) : 'menu');
  for (const prefix of ['patient:', 'service:', 'therapist:', 'day:', 'slot:']) {
    const choices = withPrefix(prefix);
    if (choices.length) return press(pick(choices, random));
  }
  return has('menu') ? press('menu') : MENU;
}
