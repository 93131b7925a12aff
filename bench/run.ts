import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../src/infra/db/throwaway-postgres.js';
import { benchmarks } from './benchmarks/index.js';
import type { Benchmark, BenchEnv, BenchResult } from './support/benchmark.js';
import { serverVersion, withFreshDatabase } from './support/database.js';
import { repoRoot } from './support/paths.js';
import { formatJson, formatTable } from './support/report.js';

// `npm run bench [-- name ...]`: runs the benchmarks whose name contains any of the given words,
// each on a fresh database, then prints a table and one JSON line of all results.

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function select(filters: string[]): Benchmark[] {
  const words = filters.map((f) => f.toLowerCase());
  return benchmarks.filter((b) => words.length === 0 || words.some((w) => b.name.toLowerCase().includes(w)));
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function runOne(benchmark: Benchmark, serverUrl: string | undefined): Promise<BenchResult[]> {
  const env: BenchEnv = { log: (line) => log(`${benchmark.name}: ${line}`) };
  if (!benchmark.needsDatabase) return benchmark.run(env);
  return withFreshDatabase(serverUrl!, benchmark.name, (databaseUrl) => benchmark.run({ ...env, databaseUrl }));
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const selected = select(filters);
  if (selected.length === 0) {
    log(`no benchmark matches ${filters.join(' ')}; there are: ${benchmarks.map((b) => b.name).join(', ')}`);
    return 2;
  }

  let server: ThrowawayPostgres | undefined;
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl && selected.some((b) => b.needsDatabase)) {
    log('starting a throwaway PostgreSQL server');
    server = await startThrowawayPostgres({ log });
    serverUrl = server.url;
  }
  process.once('SIGINT', () => void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));

  const results: BenchResult[] = [];
  const failed: string[] = [];
  const started = Date.now();
  let postgres: string | null = null;
  try {
    if (serverUrl) postgres = await serverVersion(serverUrl);
    for (const benchmark of selected) {
      log(`${benchmark.name}: ${benchmark.description}`);
      try {
        results.push(...(await runOne(benchmark, serverUrl)));
      } catch (error) {
        failed.push(benchmark.name);
        log(`${benchmark.name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  } finally {
    await server?.stop();
  }

  const meta = {
    at: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    postgres,
    cpus: availableParallelism(),
    seconds: Math.round((Date.now() - started) / 1000),
    failed,
  };
  const table = results.length ? formatTable(results) : '(no results)';
  process.stdout.write(`\n${table}\n\n${formatJson(results, meta)}\n`);
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
