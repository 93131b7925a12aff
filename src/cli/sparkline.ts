const BARS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of `values`, scaled between `low` and `high` (default: their own range), so that a
 * goal's measurements are drawn against its baseline and target rather than against each other.
 */
export function sparkline(values: number[], low = Math.min(...values), high = Math.max(...values)): string {
  if (!values.length) return '';
  const span = high - low;
  return values
    .map((v) => {
      if (span === 0) return BARS[3]!;
      const level = Math.round(((Math.min(Math.max(v, low), high) - low) / span) * (BARS.length - 1));
      return BARS[level]!;
    })
    .join('');
}
