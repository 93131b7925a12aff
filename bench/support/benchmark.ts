// What a benchmark is and what it reports. Every figure is a ratio against a baseline measured in
// the same run, so the numbers mean something on any machine.

export interface BenchEnv {
  /** A freshly created and migrated database of this benchmark's own (only when it asks for one). */
  databaseUrl?: string;
  /** Progress lines, on stderr so that stdout holds only the results. */
  log(line: string): void;
}

export interface Benchmark {
  /** Short kebab-case name; `npm run bench -- <part of a name>` selects benchmarks by it. */
  name: string;
  description: string;
  needsDatabase: boolean;
  run(env: BenchEnv): Promise<BenchResult[]>;
}

export interface BenchResult {
  name: string;
  /** Unit of `measured` and `baseline`, e.g. "bookings/s" or "ms". */
  unit: string;
  measured: number;
  baseline: number;
  /** What the baseline is, e.g. "raw INSERT". */
  baselineLabel: string;
  /** Whether a larger figure is better (throughput) or worse (time): decides how the target reads. */
  better: 'higher' | 'lower';
  /** Target for measured / baseline: at least this when better is 'higher', at most when 'lower'. */
  targetRatio?: number;
  /** One line of extra figures worth keeping, e.g. latencies. */
  notes?: string;
}

export type Verdict = 'meets target' | 'MISSES TARGET' | 'no target';

export function ratioOf(result: BenchResult): number {
  return result.measured / result.baseline;
}

export function verdictOf(result: BenchResult): Verdict {
  if (result.targetRatio === undefined) return 'no target';
  const ratio = ratioOf(result);
  const met = result.better === 'higher' ? ratio >= result.targetRatio : ratio <= result.targetRatio;
  return met ? 'meets target' : 'MISSES TARGET';
}

export function requireDatabaseUrl(env: BenchEnv): string {
  if (!env.databaseUrl) throw new Error('This benchmark needs a database (needsDatabase: true).');
  return env.databaseUrl;
}
