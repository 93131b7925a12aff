import { createRequire } from 'node:module';
import type { QRCode } from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { buildUpiLink, clinicUpiPayee, upiAmount, upiNote } from '../../src/domain/billing/upi-link.js';
import { pngQr, terminalQr } from '../../src/infra/qr.js';

// jsqr is a webpack UMD bundle whose function sits on `.default`, whichever loader imports it.
const jsQR: (data: Uint8ClampedArray, width: number, height: number) => QRCode | null = createRequire(import.meta.url)('jsqr').default;

const clinic = { vpa: 'sunrise@okaxis', payeeName: 'Sunrise Child Therapy', reference: 'PAY-000042' };

/** The link's parameters in order, as a UPI app decodes them. */
function paramsOf(link: string): Array<[string, string]> {
  const query = link.slice('upi://pay?'.length);
  return query.split('&').map((pair) => {
    const [key, value] = pair.split('=') as [string, string];
    return [key, decodeURIComponent(value)];
  });
}

describe('a UPI deep link, per the NPCI linking specification', () => {
  it('carries pa, pn, am, cu, tn and tr in that order, every value percent-encoded', () => {
    const link = buildUpiLink({ ...clinic, amountPaise: 85_000, note: 'APT-000012 Speech therapy session' });
    expect(link).toBe('upi://pay?pa=sunrise@okaxis&pn=Sunrise%20Child%20Therapy&am=850.00&cu=INR&tn=APT-000012%20Speech%20therapy%20session&tr=PAY-000042');
    expect(paramsOf(link)).toEqual([
      ['pa', 'sunrise@okaxis'],
      ['pn', 'Sunrise Child Therapy'],
      ['am', '850.00'],
      ['cu', 'INR'],
      ['tn', 'APT-000012 Speech therapy session'],
      ['tr', 'PAY-000042'],
    ]);
  });

  it('writes amounts from integer paise with two decimals', () => {
    expect(upiAmount(100)).toBe('1.00');
    expect(upiAmount(85_050)).toBe('850.50');
    expect(upiAmount(1)).toBe('0.01');
    expect(upiAmount(10_000_000)).toBe('100000.00');
    expect(buildUpiLink({ ...clinic, amountPaise: 100 })).toContain('&am=1.00&');
    expect(buildUpiLink({ ...clinic, amountPaise: 85_050 })).toContain('&am=850.50&');
    expect(buildUpiLink({ ...clinic, amountPaise: 10_000_000 })).toContain('&am=100000.00&');
  });

  it("encodes spaces as %20 (never '+'), '&' and '=' inside names, and Hindi as UTF-8", () => {
    const link = buildUpiLink({ ...clinic, payeeName: 'Rao & Sons = Care+', amountPaise: 100, note: 'रोशनी क्लिनिक' });
    expect(link).not.toMatch(/\+|\s/);
    expect(link).toContain('pn=Rao%20%26%20Sons%20%3D%20Care%2B&');
    expect(paramsOf(link).find(([k]) => k === 'pn')![1]).toBe('Rao & Sons = Care+');
    const hindi = buildUpiLink({ ...clinic, payeeName: 'रोशनी क्लिनिक', amountPaise: 100 });
    expect(hindi).toContain('pn=%E0%A4%B0%E0%A5%8B%E0%A4%B6%E0%A4%A8%E0%A5%80%20%E0%A4%95%E0%A5%8D%E0%A4%B2%E0%A4%BF%E0%A4%A8%E0%A4%BF%E0%A4%95&');
    expect(paramsOf(hindi).find(([k]) => k === 'pn')![1]).toBe('रोशनी क्लिनिक');
    expect(buildUpiLink({ ...clinic, payeeName: "Dr. Rao's (Kids) *Clinic*!", amountPaise: 100 })).toContain(
      'pn=Dr.%20Rao%27s%20%28Kids%29%20%2AClinic%2A%21&',
    );
  });

  it('keeps the note to one line of at most 50 characters, and leaves it out when empty', () => {
    const long = 'APT-000012 Speech therapy session for the little one, with thanks';
    const note = paramsOf(buildUpiLink({ ...clinic, amountPaise: 100, note: long })).find(([k]) => k === 'tn')![1];
    expect(note).toBe(long.slice(0, 50).trim());
    expect(Array.from(upiNote('क'.repeat(60)))).toHaveLength(50);
    expect(upiNote('  two\n lines  ')).toBe('two lines');
    const bare = buildUpiLink({ ...clinic, amountPaise: 100, note: '   ' });
    expect(bare).not.toContain('tn=');
    expect(bare).not.toMatch(/null|undefined/);
  });

  it('refuses what would make a broken link instead of writing "null" or "undefined"', () => {
    expect(() => buildUpiLink({ ...clinic, amountPaise: 0 })).toThrow('amountPaise: must be more than zero');
    expect(() => buildUpiLink({ ...clinic, amountPaise: 10.5 })).toThrow('amountPaise: must be whole paise');
    expect(() => buildUpiLink({ ...clinic, vpa: 'not a vpa', amountPaise: 100 })).toThrow('vpa: must be a UPI id');
    expect(() => buildUpiLink({ ...clinic, payeeName: ' ', amountPaise: 100 })).toThrow('payeeName: is required');
    expect(() => buildUpiLink({ ...clinic, reference: '', amountPaise: 100 })).toThrow('reference: is required');
  });

  it("pays the clinic's UPI id under its payee name, or the clinic's name, and says how to set one", () => {
    expect(clinicUpiPayee({ name: 'Sunrise', upi_vpa: 'sunrise@okaxis', upi_payee_name: null })).toEqual({
      vpa: 'sunrise@okaxis',
      payeeName: 'Sunrise',
    });
    expect(clinicUpiPayee({ name: 'Sunrise', upi_vpa: 'sunrise@okaxis', upi_payee_name: 'Sunrise Trust' }).payeeName).toBe('Sunrise Trust');
    expect(() => clinicUpiPayee({ name: 'Sunrise', upi_vpa: null, upi_payee_name: null })).toThrow(
      `Set the clinic's UPI id with roshni init --name "Sunrise" --upi-vpa <id>`,
    );
  });
});

describe('the QR code of a link, drawn in our own process', () => {
  const link = buildUpiLink({ ...clinic, payeeName: 'रोशनी क्लिनिक', amountPaise: 85_050, note: 'APT-000012 Speech therapy' });

  it('is a PNG that decodes back to the exact link', async () => {
    const png = await pngQr(link);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const image = PNG.sync.read(png);
    expect(image.width).toBe(512);
    expect(image.height).toBe(512);
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(link);
  });

  it('is drawn for the terminal in half blocks, two modules to a line', async () => {
    const art = await terminalQr(link);
    const lines = art.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(15);
    expect(art).toMatch(/^[█▀▄ \n]+$/);
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
  });
});
