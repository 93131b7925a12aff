import type { DomainContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { formatRupees } from '../money.js';
import { authorize } from '../policy.js';
import type { ReceiptSnapshot } from './receipts.js';
import { displayPhone } from '../people/phone.js';

// Receipts and credit notes as people read them: found by any number the desk has in hand,
// and rendered from the snapshot frozen when they were issued (never from today's names and prices).

export interface ReceiptDocument {
  receiptNumber: string;
  kind: 'receipt' | 'credit_note';
  issuedAt: Date;
  amountInWords: string;
  snapshot: ReceiptSnapshot;
}

const ONES = [
  'Zero',
  'One',
  'Two',
  'Three',
  'Four',
  'Five',
  'Six',
  'Seven',
  'Eight',
  'Nine',
  'Ten',
  'Eleven',
  'Twelve',
  'Thirteen',
  'Fourteen',
  'Fifteen',
  'Sixteen',
  'Seventeen',
  'Eighteen',
  'Nineteen',
];
const TENS = ['', '', 'Twenty', 'Thirty', 'Forty', 'Fifty', 'Sixty', 'Seventy', 'Eighty', 'Ninety'];

function belowHundred(n: number): string {
  if (n < 20) return ONES[n]!;
  return n % 10 ? `${TENS[Math.floor(n / 10)]} ${ONES[n % 10]}` : TENS[Math.floor(n / 10)]!;
}

/** A whole number in the Indian system: crore, lakh, thousand, hundred. */
function wholeInWords(n: number): string {
  if (n === 0) return 'Zero';
  const crore = Math.floor(n / 10_000_000);
  const lakh = Math.floor((n % 10_000_000) / 100_000);
  const thousand = Math.floor((n % 100_000) / 1000);
  const hundred = Math.floor((n % 1000) / 100);
  const rest = n % 100;
  const words = [
    ...(crore ? [`${wholeInWords(crore)} Crore`] : []),
    ...(lakh ? [`${belowHundred(lakh)} Lakh`] : []),
    ...(thousand ? [`${belowHundred(thousand)} Thousand`] : []),
    ...(hundred ? [`${ONES[hundred]} Hundred`] : []),
  ];
  if (rest) words.push(words.length ? `and ${belowHundred(rest)}` : belowHundred(rest));
  return words.join(' ');
}

/** 125050 → "Rupees One Thousand Two Hundred and Fifty and Fifty Paise Only". */
export function amountInWords(paise: number): string {
  const rupees = Math.floor(paise / 100);
  const fraction = paise % 100;
  if (!fraction) return `Rupees ${wholeInWords(rupees)} Only`;
  if (!rupees) return `${belowHundred(fraction)} Paise Only`;
  return `Rupees ${wholeInWords(rupees)} and ${belowHundred(fraction)} Paise Only`;
}

/**
 * A receipt or credit note by its number (RCPT-000001, RCPT-CN-000001), by the payment it
 * acknowledges (PAY-000001 or the payment's id) or by the refund it records (RFD-000001).
 */
export async function findReceipt(ctx: DomainContext, ref: string): Promise<ReceiptDocument> {
  authorize(ctx.actor, 'billing.read');
  const text = ref.trim().toUpperCase();
  const rows = await ctx.db
    .selectFrom('receipts as r')
    .leftJoin('payments as p', 'p.id', 'r.payment_id')
    .leftJoin('refunds as f', 'f.id', 'r.refund_id')
    .select(['r.receipt_number', 'r.kind', 'r.issued_at', 'r.amount_paise', 'r.snapshot'])
    .where((eb) =>
      eb.or([
        eb('r.receipt_number', '=', text),
        eb('p.reference', '=', text),
        eb('f.reference', '=', text),
        ...(/^\d{1,9}$/.test(text) ? [eb('p.id', '=', Number(text))] : []),
      ]),
    )
    .execute();
  // A receipt prefix may look like a payment reference: the receipt's own number wins.
  const row = rows.find((r) => r.receipt_number === text) ?? rows[0];
  if (!row) throw new NotFoundError(await whyNoReceipt(ctx, text));
  return {
    receiptNumber: row.receipt_number,
    kind: row.kind === 'credit_note' ? 'credit_note' : 'receipt',
    issuedAt: row.issued_at,
    amountInWords: amountInWords(row.amount_paise),
    snapshot: row.snapshot as unknown as ReceiptSnapshot,
  };
}

async function whyNoReceipt(ctx: DomainContext, text: string): Promise<string> {
  const payment = await ctx.db.selectFrom('payments').select(['state', 'method']).where('reference', '=', text).executeTakeFirst();
  if (!payment) return `No receipt, payment or refund ${text}.`;
  if (payment.state === 'pending' && payment.method === 'upi') {
    return `${text} is not paid yet, so it has no receipt. When the patient has paid: roshni pay confirm ${text} --utr <UTR>`;
  }
  return `${text} is ${payment.state}; only a completed payment has a receipt.`;
}

const METHOD_LABELS: Record<string, string> = {
  cash: 'Cash',
  card: 'Card',
  bank_transfer: 'Bank transfer',
  upi: 'UPI',
  razorpay: 'Online (Razorpay)',
};

export const methodLabel = (method: string) => METHOD_LABELS[method] ?? method;

interface ReceiptLayout {
  title: string;
  clinicName: string;
  /** Address, contact and GSTIN lines under the clinic's name. */
  clinicLines: string[];
  rows: Array<[label: string, value: string]>;
  footer: string;
}

function issuedOn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-IN', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
}

/** What a receipt says, in order: one layout for both the text and the HTML rendering. */
function layoutOf(doc: ReceiptDocument, timeZone: string): ReceiptLayout {
  const s = doc.snapshot;
  const contact = [displayPhone(s.clinic.phone), s.clinic.email].filter(Boolean).join(' · ');
  const clinicLines = [
    ...(s.clinic.address
      ? s.clinic.address
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean)
      : []),
    ...(contact ? [contact] : []),
    ...(s.clinic.gstin ? [`GSTIN ${s.clinic.gstin}`] : []),
  ];
  const patient = `${s.patient.name} (${s.patient.number})`;
  const item = s.appointmentNumber ? `${s.item} (${s.appointmentNumber})` : s.item;
  const external: Array<[string, string]> = s.externalReference
    ? [[s.method === 'razorpay' ? 'Razorpay payment' : s.method === 'upi' ? 'UTR' : 'Transaction id', s.externalReference]]
    : [];
  const head: Array<[string, string]> = [
    [doc.kind === 'credit_note' ? 'Credit note no.' : 'Receipt no.', doc.receiptNumber],
    ['Date', issuedOn(doc.issuedAt, timeZone)],
  ];
  if (doc.kind === 'credit_note' && s.refund) {
    return {
      title: 'Credit note',
      clinicName: s.clinic.name,
      clinicLines,
      rows: [
        ...head,
        ['Refunded to', patient],
        ['For', item],
        ['Amount refunded', formatRupees(s.amountPaise)],
        ['In words', doc.amountInWords],
        ['Reason', s.refund.reason],
        ['Refund reference', s.refund.reference],
        ['Against receipt', s.refund.receiptNumber ?? '—'],
        ['Original payment', `${s.paymentReference} (${methodLabel(s.method)})`],
      ],
      footer: 'Computer-generated credit note.',
    };
  }
  return {
    title: 'Receipt',
    clinicName: s.clinic.name,
    clinicLines,
    rows: [
      ...head,
      ['Received from', patient],
      ['For', item],
      ['Amount', formatRupees(s.amountPaise)],
      ['In words', doc.amountInWords],
      ['Paid by', methodLabel(s.method)],
      ['Reference', s.paymentReference],
      ...external,
    ],
    footer: 'Computer-generated receipt.',
  };
}

const TEXT_WIDTH = 60;
const LABEL_WIDTH = 18;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

const centred = (text: string) => `${' '.repeat(Math.max(0, Math.floor((TEXT_WIDTH - text.length) / 2)))}${text}`.trimEnd();

/** A plain-text receipt, 60 columns wide, for the terminal or a receipt printer. */
export function renderReceiptText(doc: ReceiptDocument, timeZone: string): string {
  const layout = layoutOf(doc, timeZone);
  const rule = '-'.repeat(TEXT_WIDTH);
  const rows = layout.rows.flatMap(([label, value]) =>
    wrap(value, TEXT_WIDTH - LABEL_WIDTH).map((line, i) => `${(i ? '' : label).padEnd(LABEL_WIDTH)}${line}`),
  );
  return [
    centred(layout.clinicName),
    ...layout.clinicLines.flatMap((line) => wrap(line, TEXT_WIDTH)).map(centred),
    rule,
    centred(layout.title.toUpperCase()),
    rule,
    ...rows,
    rule,
    layout.footer,
    '',
  ].join('\n');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const STYLE = `
  body { font-family: system-ui, "Segoe UI", "Noto Sans", "Noto Sans Devanagari", sans-serif; color: #222; margin: 0; }
  main { max-width: 36rem; margin: 2rem auto; padding: 2rem; border: 1px solid #ccc; }
  header { text-align: center; border-bottom: 2px solid #222; padding-bottom: 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .4rem; }
  header p { margin: .1rem 0; font-size: .9rem; }
  h2 { text-align: center; font-size: 1.1rem; letter-spacing: .15em; text-transform: uppercase; margin: 1rem 0; }
  table { width: 100%; border-collapse: collapse; }
  th { text-align: left; font-weight: 600; width: 40%; vertical-align: top; }
  th, td { padding: .35rem 0; border-bottom: 1px solid #eee; }
  footer { margin-top: 1.5rem; font-size: .8rem; color: #666; text-align: center; }
  @media print { main { border: none; margin: 0 auto; } }
`;

/** A self-contained printable page: no scripts, no outside fonts or images. */
export function renderReceiptHtml(doc: ReceiptDocument, timeZone: string): string {
  const layout = layoutOf(doc, timeZone);
  const rows = layout.rows.map(([label, value]) => `      <tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '  <meta charset="utf-8">',
    '  <meta name="viewport" content="width=device-width, initial-scale=1">',
    `  <title>${escapeHtml(`${layout.title} ${doc.receiptNumber} · ${layout.clinicName}`)}</title>`,
    `  <style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '  <main>',
    '    <header>',
    `      <h1>${escapeHtml(layout.clinicName)}</h1>`,
    ...layout.clinicLines.map((line) => `      <p>${escapeHtml(line)}</p>`),
    '    </header>',
    `    <h2>${escapeHtml(layout.title)}</h2>`,
    '    <table>',
    ...rows,
    '    </table>',
    `    <footer>${escapeHtml(layout.footer)}</footer>`,
    '  </main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
