import { z } from 'zod';

// The clinic's time zone is applied only here, at the edges: instants are stored as timestamptz
// and turned into the clinic's wall-clock dates and times for people.

// Zones whose offset has not changed since 1946 (IANA tzdata; India's since October 1945): their wall
// clock is arithmetic. The first Intl.DateTimeFormat of a process starts ICU, tens of milliseconds of
// every command; for these zones a command that only shows dates and times never pays it.
const FIXED_OFFSET_MINUTES: Record<string, number> = { 'Asia/Kolkata': 330, 'Asia/Calcutta': 330, UTC: 0, 'Etc/UTC': 0 };
const FIXED_FROM = Date.UTC(1946, 0, 1);
const FIXED_UNTIL = Date.UTC(9000, 0, 1);

export function isTimeZone(value: string): boolean {
  if (value in FIXED_OFFSET_MINUTES) return true;
  try {
    new Intl.DateTimeFormat('en-IN', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const timeZoneName = z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Kolkata');

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && toIsoDate(new Date(`${value}T00:00:00Z`)) === value, 'is not a real date');

/** A calendar month, "2026-11". */
export const isoMonth = z
  .string()
  .trim()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');

export const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM (24-hour)');

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    partsFormatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  date: string;
  time: string;
  isoWeekday: number;
  epochAsUtc: number;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The wall clock of a fixed-offset zone, or undefined when Intl must answer. */
function fixedWallClock(instant: Date, timeZone: string): WallClock | undefined {
  const offset = FIXED_OFFSET_MINUTES[timeZone];
  const at = instant.getTime();
  if (offset === undefined || !(at >= FIXED_FROM && at < FIXED_UNTIL)) return undefined;
  const shifted = new Date(at + offset * 60_000);
  const iso = shifted.toISOString();
  return {
    date: iso.slice(0, 10),
    time: iso.slice(11, 16),
    isoWeekday: shifted.getUTCDay() || 7,
    epochAsUtc: shifted.getTime() - shifted.getUTCMilliseconds(),
  };
}

export function wallClock(instant: Date, timeZone: string): WallClock {
  const fixed = fixedWallClock(instant, timeZone);
  if (fixed) return fixed;
  const parts = Object.fromEntries(
    partsFormatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}`;
  return {
    date,
    time,
    isoWeekday: WEEKDAYS.indexOf(parts.weekday!) + 1,
    epochAsUtc: Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!),
  };
}

/** The instant at which the clinic's clock shows `date` `time`. */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const asUtc = Date.parse(`${date}T${time}:00Z`);
  let instant = asUtc;
  // Two passes settle the offset, including on days when it changes.
  for (let i = 0; i < 2; i++) {
    const offset = wallClock(new Date(instant), timeZone).epochAsUtc - instant;
    instant = asUtc - offset;
  }
  return new Date(instant);
}

export function clinicDate(instant: Date, timeZone: string): string {
  return wallClock(instant, timeZone).date;
}

export function clinicTime(instant: Date, timeZone: string): string {
  return wallClock(instant, timeZone).time;
}

export function toIsoDate(utcMidnight: Date): string {
  return utcMidnight.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return toIsoDate(d);
}

export function isoWeekdayOf(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

const friendlyFormatters = new Map<string, Intl.DateTimeFormat>();

function friendlyFormatter(timeZone: string, locale: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${locale}|${withTime}`;
  let formatter = friendlyFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
    });
    friendlyFormatters.set(key, formatter);
  }
  return formatter;
}

/** "Thu 26 Nov, 09:00" in the clinic's zone. */
export function formatFriendly(instant: Date, timeZone: string, locale = 'en-IN'): string {
  return friendlyFormatter(timeZone, locale, true).format(instant);
}

/** "Thu 26 Nov": the clinic day of an instant. */
export function formatFriendlyDay(instant: Date, timeZone: string, locale = 'en-IN'): string {
  return friendlyFormatter(timeZone, locale, false).format(instant);
}

/** "2026-11-27 16:00" (or with a T) in the clinic's zone. */
export const localDateTime = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$/, 'must be a date and time as "YYYY-MM-DD HH:MM"')
  .transform((value) => ({ date: value.slice(0, 10), time: value.slice(11, 16) }))
  .refine((v) => isoDate.safeParse(v.date).success && clockTime.safeParse(v.time).success, 'is not a real date and time');
