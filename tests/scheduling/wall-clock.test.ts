import { describe, expect, it } from 'vitest';
import { formatRupees } from '../../src/domain/money.js';
import { wallClock, zonedInstant } from '../../src/domain/time.js';

// India's clock and the clinic's rupees are worked out by hand, not through Intl (whose first use starts
// ICU in every command): they must say exactly what Intl says.

function intlWallClock(instant: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
    isoWeekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1,
  };
}

describe('the clinic’s wall clock without ICU', () => {
  // About every nine days from 1946 to 2100, each at another time of day: every hour, every weekday, leap days, year ends.
  const instants = Array.from({ length: 6_000 }, (_, i) => new Date(Date.UTC(1946, 0, 1) + i * 31 * (7 * 3_600_000 + 13 * 60_000 + 17_000)));
  const edges = ['2026-12-31T18:29:59Z', '2026-12-31T18:30:00Z', '2028-02-28T18:30:00Z', '2025-03-09T18:29:00.999Z'].map((s) => new Date(s));

  for (const timeZone of ['Asia/Kolkata', 'UTC']) {
    it(`agrees with Intl in ${timeZone}`, () => {
      const all = [...instants, ...edges];
      const ours = all.map((instant) => {
        const { date, time, isoWeekday } = wallClock(instant, timeZone);
        return { instant: instant.toISOString(), date, time, isoWeekday };
      });
      expect(ours).toEqual(all.map((instant) => ({ instant: instant.toISOString(), ...intlWallClock(instant, timeZone) })));
    });
  }

  it('turns the clinic’s date and time back into the instant', () => {
    expect(zonedInstant('2026-12-15', '11:00', 'Asia/Kolkata').toISOString()).toBe('2026-12-15T05:30:00.000Z');
    expect(zonedInstant('2027-01-01', '00:15', 'Asia/Kolkata').toISOString()).toBe('2026-12-31T18:45:00.000Z');
  });

  it('still asks Intl for zones whose offset changes, and for India before 1946', () => {
    expect(wallClock(new Date('2026-07-01T12:00:00Z'), 'Europe/London').time).toBe('13:00');
    expect(wallClock(new Date('1944-01-01T00:00:00Z'), 'Asia/Kolkata')).toMatchObject(intlWallClock(new Date('1944-01-01T00:00:00Z'), 'Asia/Kolkata'));
  });
});

describe('rupees without ICU', () => {
  it('groups digits as en-IN does: thousands, then lakhs and crores', () => {
    for (const rupees of [0, 7, 999, 1_000, 12_345, 1_00_000, 12_34_567, 1_23_45_678, 98_76_54_32_109]) {
      expect(formatRupees(rupees * 100 + 5)).toBe(`₹${rupees.toLocaleString('en-IN')}.05`);
      expect(formatRupees(-rupees * 100 - 50)).toBe(`-₹${rupees.toLocaleString('en-IN')}.50`);
    }
  });
});
