import { ratioOf, verdictOf, type BenchResult } from './benchmark.js';

// The results as a readable table, and as one JSON line to paste into notes.

function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function target(result: BenchResult): string {
  if (result.targetRatio === undefined) return '-';
  return `${result.better === 'higher' ? '>=' : '<='} ${result.targetRatio.toFixed(2)}`;
}

export function formatTable(results: readonly BenchResult[]): string {
  const header = ['benchmark', 'measured', 'baseline', 'ratio', 'target', 'verdict'];
  const rows = results.map((r) => [
    r.name,
    `${figure(r.measured)} ${r.unit}`,
    `${figure(r.baseline)} ${r.unit} (${r.baselineLabel})`,
    ratioOf(r).toFixed(3),
    target(r),
    verdictOf(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes = results.filter((r) => r.notes).map((r) => `  ${r.name}: ${r.notes}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

const round = (value: number) => Number(value.toPrecision(4));

export function formatJson(results: readonly BenchResult[], meta: Record<string, unknown>): string {
  return JSON.stringify({
    ...meta,
    results: results.map((r) => ({
      name: r.name,
      unit: r.unit,
      measured: round(r.measured),
      baseline: round(r.baseline),
      baselineLabel: r.baselineLabel,
      ratio: round(ratioOf(r)),
      better: r.better,
      targetRatio: r.targetRatio ?? null,
      verdict: verdictOf(r),
      notes: r.notes ?? null,
    })),
  });
}
