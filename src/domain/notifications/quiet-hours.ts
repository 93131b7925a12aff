import { addDays, clinicDate, clinicTime, zonedInstant } from '../time.js';

/** The clinic's quiet hours ("21:00"–"08:00" clinic time): no patient-facing message goes out in them. */
export interface QuietHours {
  start: string;
  end: string;
}

/** When the quiet hours holding `now` end, or null when `now` is not in them. */
export function quietUntil(now: Date, quiet: QuietHours, timezone: string): Date | null {
  const time = clinicTime(now, timezone);
  const start = quiet.start.slice(0, 5);
  const end = quiet.end.slice(0, 5);
  const today = clinicDate(now, timezone);
  const inside = start > end ? time >= start || time < end : time >= start && time < end;
  if (!inside) return null;
  const endDate = start > end && time >= start ? addDays(today, 1) : today;
  return zonedInstant(endDate, end, timezone);
}
