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

export function formatRupees(paise: number): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  const whole = Math.floor(abs / 100).toLocaleString('en-IN');
  const fraction = String(abs % 100).padStart(2, '0');
  return `${sign}₹${whole}.${fraction}`;
}

/** Paise as a plain decimal for spreadsheets (CSV): 125050 → "1250.50", -2000 → "-20.00". */
export function decimalRupees(paise: number): string {
  const sign = paise < 0 ? '-' : '';
  const abs = Math.abs(paise);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
