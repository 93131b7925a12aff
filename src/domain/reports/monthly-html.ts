import { escapeHtml } from '../billing/receipt-render.js';
import { formatRupees } from '../money.js';
import { clinicDate, clinicTime } from '../time.js';
import type { MonthlyReport } from './monthly.js';
import { formatHours, formatPercent } from './period.js';
import { barChart, columnChart, stackedBarChart } from './svg-charts.js';
import { standalonePage } from './html-page.js';

// The monthly report as one printable HTML page: figures, inline SVG charts, and the tables behind
// them. Self-contained: no script, stylesheet, font or image is fetched from anywhere.

// Fits a 1,200 px window with no sideways scrolling, and A4 paper: the page is at most 72rem wide, the
// paired sections share it (one above the other when there is no room for two), a table's first column
// wraps while its figures never do, and on paper everything is one column at A4's printable width.
const STYLE = `
  * { box-sizing: border-box; }
  body { font-family: system-ui, "Segoe UI", "Noto Sans", sans-serif; color: #222; margin: 0; background: #fff; }
  main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
  header { border-bottom: 2px solid #222; margin-bottom: 1rem; }
  h1 { font-size: 1.5rem; margin: 0; }
  header p { margin: .2rem 0 .6rem; color: #555; }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  .figures { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: .5rem; }
  .figure { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .7rem; overflow-wrap: anywhere; }
  .figure b { display: block; font-size: 1.25rem; }
  .figure span { font-size: .8rem; color: #555; }
  .two { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 30rem), 1fr)); gap: 1.2rem; }
  .two > section { min-width: 0; }
  table { border-collapse: collapse; width: 100%; font-size: .8rem; margin-top: .4rem; }
  th, td { text-align: left; padding: .2rem .35rem; border-bottom: 1px solid #eee; vertical-align: bottom; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  td.n { white-space: nowrap; }
  tr.total td { font-weight: 600; border-top: 1px solid #999; }
  footer { margin-top: 1.5rem; font-size: .75rem; color: #666; }
  .chart { display: block; max-width: 100%; height: auto; }
  @page { size: A4; margin: 12mm; }
  @media print {
    body { font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    main { max-width: none; padding: 0; }
    .figures { grid-template-columns: repeat(3, minmax(0, 1fr)); }
    .two { display: block; }
    h2 { break-after: avoid; }
    table, tr, .figure, .chart { break-inside: avoid; }
  }
`;

const esc = (value: string | number) => escapeHtml(String(value));

function figure(value: string, label: string): string {
  return `<div class="figure"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
}

/** A table: the first column is text, the rest are numbers (right-aligned); the last row may be a total. */
function htmlTable(head: string[], rows: Array<Array<string | number>>, total?: Array<string | number>): string {
  const cells = (row: Array<string | number>, tag: 'td' | 'th') => row.map((c, i) => `<${tag}${i ? ' class="n"' : ''}>${esc(c)}</${tag}>`).join('');
  return [
    '<table>',
    `<thead><tr>${cells(head, 'th')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${cells(r, 'td')}</tr>`),
    ...(total ? [`<tr class="total">${cells(total, 'td')}</tr>`] : []),
    '</tbody></table>',
  ].join('\n');
}

export function renderMonthlyHtml(report: MonthlyReport): string {
  const { revenue, utilisation, attendance, patients, dues, packages, timezone } = report;
  const total = revenue.byMethod.total;
  const generated = `${clinicDate(report.generatedAt, timezone)} ${clinicTime(report.generatedAt, timezone)}`;
  const title = `${report.clinicName}: monthly report, ${report.period.label}`;
  const byDay = revenue.byDay.lines.map((l) => ({ label: String(Number(l.key.slice(8))), value: l.netPaise, display: formatRupees(l.netPaise) }));
  const revenueRows = (lines: typeof revenue.byMethod.lines) =>
    lines.map((l) => [l.label, l.payments, formatRupees(l.receivedPaise), l.refunds, formatRupees(l.refundedPaise), formatRupees(l.netPaise)]);
  const revenueTotal = [
    'Total',
    total.payments,
    formatRupees(total.receivedPaise),
    total.refunds,
    formatRupees(total.refundedPaise),
    formatRupees(total.netPaise),
  ];
  const revenueHead = ['', 'Payments', 'Received', 'Refunds', 'Refunded', 'Net'];

  return standalonePage({
    title,
    style: STYLE,
    heading: esc(report.clinicName),
    subtitle: `Monthly report · ${esc(report.period.label)} (${esc(report.period.from)} to ${esc(report.period.to)}) · made ${esc(generated)} ${esc(timezone)}`,
    body: `
<section class="figures">
${[
  figure(formatRupees(total.netPaise), 'net revenue'),
  figure(`${total.payments}`, `payments received (${formatRupees(total.receivedPaise)})`),
  figure(formatRupees(total.refundedPaise), `refunded (${total.refunds})`),
  figure(formatRupees(dues.duePaise), `outstanding dues now (${dues.patients} ${dues.patients === 1 ? 'patient' : 'patients'})`),
  figure(`${attendance.total.attended}`, 'sessions attended'),
  figure(
    formatPercent(utilisation.total.utilisationPercent),
    `utilisation (${formatHours(utilisation.total.bookedMinutes)} of ${formatHours(utilisation.total.availableMinutes)} h)`,
  ),
  figure(formatPercent(attendance.total.noShowRate), `no-show rate (${attendance.total.noShows})`),
  figure(formatPercent(attendance.total.lateCancellationRate), `late cancellations (${attendance.total.lateCancellations})`),
  figure(`${patients.total.new}`, 'new patients'),
  figure(`${patients.total.returning}`, 'returning patients'),
  figure(`${patients.registered}`, 'patients registered'),
  figure(`${packages.sessionsLeft}`, `package sessions owed now (${formatRupees(packages.unusedValuePaise)})`),
].join('\n')}
</section>

<h2>Net revenue by day</h2>
${columnChart(`Net revenue by day, ${report.period.label}`, byDay, { format: formatRupees })}

<div class="two">
<section>
<h2>By payment method</h2>
${barChart(
  'Net revenue by payment method',
  revenue.byMethod.lines.map((l) => ({ label: l.label, value: l.netPaise, display: formatRupees(l.netPaise) })),
)}
${htmlTable(revenueHead, revenueRows(revenue.byMethod.lines), revenueTotal)}
</section>
<section>
<h2>By service</h2>
${barChart(
  'Net revenue by service',
  revenue.byService.lines.map((l) => ({ label: l.label, value: l.netPaise, display: formatRupees(l.netPaise) })),
)}
${htmlTable(revenueHead, revenueRows(revenue.byService.lines), revenueTotal)}
</section>
</div>

<div class="two">
<section>
<h2>Therapist utilisation</h2>
${barChart(
  'Booked share of available hours, per therapist',
  utilisation.lines.map((l) => ({ label: l.therapistName, value: l.utilisationPercent ?? 0, display: formatPercent(l.utilisationPercent) })),
  { max: 100 },
)}
${htmlTable(
  ['Therapist', 'Available h', 'Booked h', 'Attended h', 'Utilisation'],
  utilisation.lines.map((l) => [
    l.therapistName,
    formatHours(l.availableMinutes),
    formatHours(l.bookedMinutes),
    formatHours(l.attendedMinutes),
    formatPercent(l.utilisationPercent),
  ]),
  [
    'Total',
    formatHours(utilisation.total.availableMinutes),
    formatHours(utilisation.total.bookedMinutes),
    formatHours(utilisation.total.attendedMinutes),
    formatPercent(utilisation.total.utilisationPercent),
  ],
)}
</section>
<section>
<h2>Attendance</h2>
${stackedBarChart(
  'Appointments per therapist: attended, no-show, late cancellation',
  ['Attended', 'No-show', 'Late cancellation'],
  attendance.lines.map((l) => ({ label: l.therapistName, values: [l.attended, l.noShows, l.lateCancellations] })),
)}
${htmlTable(
  ['Therapist', 'Booked', 'Attended', 'No-shows', 'Late canc.', 'No-show rate', 'Late canc. rate'],
  attendance.lines.map((l) => [
    l.therapistName,
    l.booked,
    l.attended,
    l.noShows,
    l.lateCancellations,
    formatPercent(l.noShowRate),
    formatPercent(l.lateCancellationRate),
  ]),
  [
    'Overall',
    attendance.total.booked,
    attendance.total.attended,
    attendance.total.noShows,
    attendance.total.lateCancellations,
    formatPercent(attendance.total.noShowRate),
    formatPercent(attendance.total.lateCancellationRate),
  ],
)}
</section>
</div>

<section>
<h2>Patients seen</h2>
${htmlTable(
  ['Therapist', 'Seen', 'New', 'Returning'],
  patients.lines.map((l) => [l.therapistName, l.seen, l.new, l.returning]),
  ['Clinic (each patient once)', patients.total.seen, patients.total.new, patients.total.returning],
)}
</section>

<footer>
Net revenue is completed payments less refunds processed in the month. Utilisation is booked time (appointments not
cancelled, no-shows included) over working hours less holidays and leave. Rates are of appointments that were due to
happen: attended, no-show or cancelled late. New patients had their first session at the clinic this month.
Dues and package balances are as they stand when the report was made.
</footer>
`,
  });
}
