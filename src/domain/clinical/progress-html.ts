import { escapeHtml } from '../billing/receipt-render.js';
import { standalonePage } from '../reports/html-page.js';
import { lineChart } from '../reports/svg-charts.js';
import { clinicDate } from '../time.js';
import { withUnit, type GoalProgress } from './goals.js';

// A patient's progress as one page to share with the family (`roshni progress <patient> --out
// file.html`): each goal with its trend as an inline SVG chart against baseline and target, and
// the measurements behind it. Self-contained: no script, stylesheet, font or image from anywhere.
// It carries the goals and their values only: no session notes, no measurement notes.

export interface ProgressPage {
  clinicName: string;
  patient: { name: string; number: string };
  generatedAt: Date;
  timezone: string;
  goals: GoalProgress[];
}

const STYLE = `
  body { font-family: system-ui, "Segoe UI", "Noto Sans", "Noto Sans Devanagari", sans-serif; color: #222; margin: 0; }
  main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
  header { border-bottom: 2px solid #222; margin-bottom: 1rem; }
  h1 { font-size: 1.4rem; margin: 0; }
  header p { margin: .2rem 0 .6rem; color: #555; }
  section { margin-bottom: 1.6rem; break-inside: avoid; }
  h2 { font-size: 1.05rem; margin: 0 0 .2rem; }
  .summary { margin: 0 0 .4rem; color: #444; }
  table { border-collapse: collapse; font-size: .85rem; margin-top: .4rem; }
  th, td { text-align: left; padding: .15rem .6rem .15rem 0; border-bottom: 1px solid #eee; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .chart { display: block; max-width: 100%; }
  @media print { main { padding: 0; } @page { size: A4; margin: 12mm; } }
`;

const esc = (value: string | number) => escapeHtml(String(value));

function goalSection(goal: GoalProgress): string {
  const unit = (v: number) => withUnit(v, goal.unit);
  const status = goal.status === 'active' ? '' : ` (${goal.status})`;
  const summary = [
    `Baseline ${unit(goal.baseline)}, target ${unit(goal.target)}${goal.targetOn ? ` by ${goal.targetOn}` : ''}.`,
    goal.latest === null
      ? 'No measurements yet.'
      : `Latest ${unit(goal.latest)} on ${goal.measurements.at(-1)!.on}: ${goal.percentOfWay}% of the way from baseline to target.`,
  ].join(' ');
  const points = goal.measurements.map((m) => ({ label: m.on, value: m.value, display: unit(m.value) }));
  const chart = lineChart(`${goal.description}: measurements against baseline and target`, points, [
    { value: goal.baseline, label: `baseline ${unit(goal.baseline)}` },
    { value: goal.target, label: `target ${unit(goal.target)}` },
  ]);
  const rows = goal.measurements.map((m) => `<tr><td>${esc(m.on)}</td><td class="n">${esc(unit(m.value))}</td></tr>`);
  return [
    '<section>',
    `<h2>${esc(goal.description)}${esc(status)}</h2>`,
    `<p class="summary">${esc(summary)}</p>`,
    chart,
    ...(rows.length ? ['<table>', '<thead><tr><th>Measured on</th><th>Value</th></tr></thead>', '<tbody>', ...rows, '</tbody></table>'] : []),
    '</section>',
  ].join('\n');
}

export function renderProgressHtml(page: ProgressPage): string {
  const title = `${page.patient.name}: progress`;
  return standalonePage({
    title,
    style: STYLE,
    heading: `${esc(page.patient.name)} (${esc(page.patient.number)}): progress`,
    subtitle: `${esc(page.clinicName)} · ${page.goals.length} ${page.goals.length === 1 ? 'goal' : 'goals'} · ${esc(clinicDate(page.generatedAt, page.timezone))}`,
    body: page.goals.length ? page.goals.map(goalSection).join('\n') : '<p>No goals yet.</p>',
  });
}
