/** The sum of one figure over a report's lines, for its total line. */
export function sumOf<K extends PropertyKey>(lines: ReadonlyArray<{ readonly [P in NoInfer<K>]: number }>, key: K): number {
  return lines.reduce((n, l) => n + l[key], 0);
}
