import { escapeHtml } from '../billing/receipt-render.js';

// Small charts as inline SVG, drawn here: the monthly report is one self-contained file with no
// scripts, fonts or images from anywhere else. Each chart carries a <title> for screen readers.

export interface Bar {
  label: string;
  value: number;
  /** The value as people read it ("₹1,200.00", "62.5%"). */
  display: string;
}

export interface StackedRow {
  label: string;
  values: number[];
}

export const CHART_COLOURS = ['#2f6f9f', '#d9822b', '#c23b3b', '#6a9f3a', '#7b5ea7', '#8c8c8c'];

const FONT = 'font-family="system-ui, sans-serif"';

const round = (n: number) => Math.round(n * 10) / 10;

/** Room for the longest label at 12px (about 7px a character), within bounds; longer labels are cut with "…". */
function labelColumn(labels: string[]): { width: number; fit: (label: string) => string } {
  const longest = Math.max(8, ...labels.map((l) => l.length));
  const chars = Math.min(longest, 34);
  return { width: Math.round(chars * 7 + 12), fit: (label) => (label.length > chars ? `${label.slice(0, chars - 1)}…` : label) };
}

function svg(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** Vertical columns, one per bar (a month's days); negative values hang below the zero line. */
export function columnChart(title: string, bars: Bar[], options: { tickEvery?: number; height?: number; format?: (value: number) => string } = {}): string {
  const width = 720;
  const height = options.height ?? 200;
  const [left, right, top, bottom] = [8, 8, 16, 28];
  const high = Math.max(0, ...bars.map((b) => b.value));
  const low = Math.min(0, ...bars.map((b) => b.value));
  const span = high - low || 1;
  const plotHeight = height - top - bottom;
  const y = (v: number) => top + ((high - v) / span) * plotHeight;
  const step = (width - left - right) / Math.max(bars.length, 1);
  const body: string[] = [];
  bars.forEach((bar, i) => {
    const x = left + i * step;
    const [from, to] = [y(Math.max(bar.value, 0)), y(Math.min(bar.value, 0))];
    if (bar.value !== 0) {
      body.push(
        `<rect x="${round(x + step * 0.15)}" y="${round(from)}" width="${round(step * 0.7)}" height="${round(Math.max(to - from, 0.5))}" fill="${bar.value < 0 ? CHART_COLOURS[2] : CHART_COLOURS[0]}"><title>${escapeHtml(`${bar.label}: ${bar.display}`)}</title></rect>`,
      );
    }
    if (i % (options.tickEvery ?? 1) === 0) {
      body.push(`<text x="${round(x + step / 2)}" y="${height - 10}" text-anchor="middle" font-size="10" ${FONT} fill="#555">${escapeHtml(bar.label)}</text>`);
    }
  });
  body.push(`<line x1="${left}" x2="${width - right}" y1="${round(y(0))}" y2="${round(y(0))}" stroke="#999" stroke-width="1"/>`);
  if (high > 0 && options.format) {
    // A dashed line at the highest value, labelled, so the columns can be read against it.
    body.push(
      `<line x1="${left}" x2="${width - right}" y1="${top}" y2="${top}" stroke="#ccc" stroke-dasharray="4 3"/>`,
      `<text x="${width - right}" y="${top - 2}" text-anchor="end" font-size="10" ${FONT} fill="#555">${escapeHtml(options.format(high))}</text>`,
    );
  }
  return svg(width, height, title, body);
}

/** Horizontal bars with their label on the left and their value on the right. */
export function barChart(title: string, bars: Bar[], options: { max?: number } = {}): string {
  const width = 520;
  const rowHeight = 26;
  const labels = labelColumn(bars.map((b) => b.label));
  const [labelWidth, valueWidth] = [labels.width, 96];
  const height = Math.max(bars.length, 1) * rowHeight + 8;
  const max = Math.max(options.max ?? 0, ...bars.map((b) => b.value)) || 1;
  const plot = width - labelWidth - valueWidth;
  const body = bars.map((bar, i) => {
    const y = 4 + i * rowHeight;
    const length = (Math.max(bar.value, 0) / max) * plot;
    return [
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" font-size="12" ${FONT} fill="#222">${escapeHtml(labels.fit(bar.label))}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${round(Math.max(length, 1))}" height="${rowHeight - 8}" fill="${CHART_COLOURS[i % CHART_COLOURS.length]}"><title>${escapeHtml(`${bar.label}: ${bar.display}`)}</title></rect>`,
      `<text x="${round(labelWidth + Math.max(length, 1) + 6)}" y="${y + 17}" font-size="12" ${FONT} fill="#222">${escapeHtml(bar.display)}</text>`,
    ].join('');
  });
  if (!bars.length) body.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="12" ${FONT} fill="#777">Nothing to show</text>`);
  return svg(width, height, title, body);
}

/** One horizontal bar per row, split into its series (e.g. attended, no-show, late cancellation), with a legend. */
export function stackedBarChart(title: string, series: string[], rows: StackedRow[]): string {
  const width = 520;
  const rowHeight = 26;
  const labels = labelColumn(rows.map((r) => r.label));
  const labelWidth = labels.width;
  const legendHeight = 24;
  const height = legendHeight + Math.max(rows.length, 1) * rowHeight + 8;
  const max = Math.max(1, ...rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  const plot = width - labelWidth - 40;
  const body: string[] = series.map((name, i) => {
    const x = i * 150;
    return `<rect x="${x}" y="4" width="12" height="12" fill="${CHART_COLOURS[i]}"/><text x="${x + 18}" y="14" font-size="12" ${FONT} fill="#222">${escapeHtml(name)}</text>`;
  });
  rows.forEach((row, r) => {
    const y = legendHeight + r * rowHeight;
    body.push(`<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" font-size="12" ${FONT} fill="#222">${escapeHtml(labels.fit(row.label))}</text>`);
    let x = labelWidth;
    row.values.forEach((value, i) => {
      const length = (value / max) * plot;
      if (value > 0) {
        body.push(
          `<rect x="${round(x)}" y="${y + 4}" width="${round(length)}" height="${rowHeight - 8}" fill="${CHART_COLOURS[i]}"><title>${escapeHtml(`${row.label}, ${series[i]}: ${value}`)}</title></rect>`,
        );
      }
      x += length;
    });
    body.push(`<text x="${round(x + 6)}" y="${y + 17}" font-size="12" ${FONT} fill="#222">${row.values.reduce((a, b) => a + b, 0)}</text>`);
  });
  return svg(width, height, title, body);
}

export interface Guide {
  value: number;
  /** Written at the line's right end ("target 80%"). */
  label: string;
}

/**
 * A trend: the points joined in order (a goal's measurements), against dashed guide lines (its
 * baseline and target). The scale spans the points and the guides, so both are always in view.
 */
export function lineChart(title: string, points: Bar[], guides: Guide[] = []): string {
  const width = 640;
  const height = 220;
  const [left, right, top, bottom] = [34, 110, 14, 30];
  const values = [...points.map((p) => p.value), ...guides.map((g) => g.value)];
  const high = Math.max(...values, 0);
  const low = Math.min(...values, high);
  const span = high - low || 1;
  const y = (v: number) => top + ((high - v) / span) * (height - top - bottom);
  const step = points.length > 1 ? (width - left - right) / (points.length - 1) : 0;
  const x = (i: number) => (points.length > 1 ? left + i * step : (width - right + left) / 2);
  const body: string[] = [];
  guides.forEach((guide, i) => {
    const gy = round(y(guide.value));
    body.push(
      `<line x1="${left}" x2="${width - right}" y1="${gy}" y2="${gy}" stroke="${CHART_COLOURS[i === 0 ? 5 : 3]}" stroke-dasharray="5 4"/>`,
      `<text x="${width - right + 6}" y="${gy + 4}" font-size="11" ${FONT} fill="#444">${escapeHtml(guide.label)}</text>`,
    );
  });
  if (points.length > 1) {
    body.push(
      `<polyline points="${points.map((p, i) => `${round(x(i))},${round(y(p.value))}`).join(' ')}" fill="none" stroke="${CHART_COLOURS[0]}" stroke-width="2"/>`,
    );
  }
  // Dates under the points: all of them when they fit, else about eight.
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    body.push(
      `<circle cx="${round(x(i))}" cy="${round(y(p.value))}" r="4" fill="${CHART_COLOURS[0]}"><title>${escapeHtml(`${p.label}: ${p.display}`)}</title></circle>`,
    );
    if (i % every === 0 || i === points.length - 1) {
      body.push(`<text x="${round(x(i))}" y="${height - 10}" text-anchor="middle" font-size="10" ${FONT} fill="#555">${escapeHtml(p.label)}</text>`);
    }
  });
  if (!points.length)
    body.push(`<text x="${(width - right) / 2}" y="${height / 2}" text-anchor="middle" font-size="12" ${FONT} fill="#777">No measurements yet</text>`);
  return svg(width, height, title, body);
}
