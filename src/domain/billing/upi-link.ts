import { z } from 'zod';
import { clinicSettingsInput } from '../clinic/settings.js';
import { InvalidInputError, parseInput } from '../errors.js';

// A `upi://pay` deep link per NPCI's UPI Linking Specification: what a UPI QR code carries.
// Only a PSP can confirm a payment to it, so staff confirm with the UTR the patient reads out.

/** UPI apps show at most about 50 characters of the note. */
export const UPI_NOTE_LIMIT = 50;

const upiLinkInput = z.object({
  vpa: clinicSettingsInput.shape.upiVpa.unwrap(),
  payeeName: z.string().trim().min(1, 'is required'),
  amountPaise: z.number().int('must be whole paise').positive('must be more than zero'),
  note: z.string().optional(),
  reference: z.string().trim().min(1, 'is required'),
});

export type UpiLinkInput = z.input<typeof upiLinkInput>;

/** Integer paise as the spec's amount: 85050 → "850.50", never through a float. */
export function upiAmount(paise: number): string {
  return `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;
}

/**
 * Every character outside RFC 3986's unreserved set is percent-encoded as UTF-8, so a space is
 * %20 (some UPI apps print a '+' literally). The '@' of a UPI id stays as the spec writes it.
 */
function encodeValue(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%40/g, '@');
}

/** The note as UPI apps can show it: one line, at most 50 characters (whole characters, never half a one). */
export function upiNote(note: string): string {
  return Array.from(note.replace(/\s+/g, ' ').trim()).slice(0, UPI_NOTE_LIMIT).join('').trim();
}

export function buildUpiLink(raw: UpiLinkInput): string {
  const input = parseInput(upiLinkInput, raw);
  const note = input.note === undefined ? '' : upiNote(input.note);
  const params: Array<[string, string]> = [
    ['pa', input.vpa],
    ['pn', input.payeeName],
    ['am', upiAmount(input.amountPaise)],
    ['cu', 'INR'],
    ...(note ? [['tn', note] as [string, string]] : []),
    ['tr', input.reference],
  ];
  return `upi://pay?${params.map(([key, value]) => `${key}=${encodeValue(value)}`).join('&')}`;
}

/** Whom UPI payments go to: the clinic's UPI id, and its payee name (the clinic's name unless set). */
export function clinicUpiPayee(settings: { name: string; upi_vpa: string | null; upi_payee_name: string | null }) {
  if (!settings.upi_vpa) {
    throw new InvalidInputError(
      `The clinic has no UPI id yet. Set the clinic's UPI id with roshni init --name "${settings.name}" --upi-vpa <id>, e.g. clinic@okicici.`,
    );
  }
  return { vpa: settings.upi_vpa, payeeName: settings.upi_payee_name ?? settings.name };
}
