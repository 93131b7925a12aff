import { z } from 'zod';

/** Rupees as people type them ("1000", "1,000.50", "₹850") into integer paise. Never through a float. */
export const rupees = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim().replace(/^₹\s*/, '').replace(/,/g, ''))
  .refine((value) => /^\d{1,9}(\.\d{1,2})?$/.test(value), 'must be an amount in rupees with at most two decimals, e.g. 850 or 850.50')
  .transform((value) => {
    const [whole, fraction = ''] = value.split('.');
    return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  });

export const positiveRupees = rupees.refine((paise) => paise > 0, 'must be more than zero');

/**
 * 12345678 → "1,23,45,678": the last three digits, then pairs, as toLocaleString('en-IN') groups them;
 * by hand, because the first Intl call of a process starts ICU (tens of milliseconds of every command).
 */
function indianGrouping(whole: number): string {
  const digits = String(whole);
  if (digits.length <= 3) return digits;
  return `${digits.slice(0, -3).replace(/\B(?=(\d{2})+$)/g, ',')},${digits.slice(-3)}`;
}

export function formatRupees(paise: number): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  const whole = indianGrouping(Math.floor(abs / 100));
  const fraction = String(abs % 100).padStart(2, '0');
  return `${sign}₹${whole}.${fraction}`;
}

/** Paise as a plain decimal for spreadsheets (CSV): 125050 → "1250.50", -2000 → "-20.00". */
export function decimalRupees(paise: number): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
