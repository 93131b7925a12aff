import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';

// `roshni health` and GET /health: every check says ok, warn (degraded) or fail (unhealthy), with its time.

export type CheckStatus = 'ok' | 'warn' | 'fail';
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  ms: number;
  /** audit-chain: when the audit log's chain was last walked (src/infra/health/audit-chain-check.ts). */
  verifiedAt?: string;
}

export interface HealthReport {
  status: HealthStatus;
  checkedAt: string;
  durationMs: number;
  checks: HealthCheck[];
  /** GET /health of `roshni start`: each of its parts and its state. */
  parts?: StartPartReport[];
}

/** One part of `roshni start` (the HTTP server, the dispatcher, the scheduler, each bot): src/infra/part-supervisor.ts. */
export interface StartPartReport {
  name: string;
  state: 'starting' | 'running' | 'degraded';
  /** When it came into this state (ISO 8601). */
  since: string;
  /** Why it is degraded, in a few words (never a token or a person). */
  reason?: string;
}

export interface DiskSpace {
  /** Bytes free for an unprivileged user, and the file system's size. */
  freeBytes: number;
  totalBytes: number;
}

export interface HealthDeps {
  config: Config;
  clock: Clock;
  /** The database, or the error met opening it. */
  db: Kysely<DB> | { error: Error };
  /** Free space of the file system holding a path (injected by tests). */
  diskSpace?: (path: string) => Promise<DiskSpace>;
  fetch?: typeof fetch;
  /** The WhatsApp session's state from the running client (`roshni start` holding one). */
  whatsappState?: () => Promise<string | null>;
  /** Every check has an answer within this time, or is reported as not answering (10 s by default). */
  answerWithinMs?: number;
  /** The process's user id (process.getuid(); injected by tests). */
  userId?: number;
  /** Aborts the checks' calls to outside services (the process is stopping). */
  signal?: AbortSignal;
}

export const HEALTH_EXIT_CODE: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** The report of a run's results: one failed check makes it unhealthy, one warning degraded. */
export function reportOf(results: HealthCheck[], run: { checkedAt: string; began: number }): HealthReport {
  const status: HealthStatus = results.some((c) => c.status === 'fail') ? 'unhealthy' : results.some((c) => c.status === 'warn') ? 'degraded' : 'healthy';
  return { status, checkedAt: run.checkedAt, durationMs: Math.round(performance.now() - run.began), checks: results };
}

/** The report with the parts of `roshni start` as they are now: one not running makes it degraded at least. */
export function withParts(report: HealthReport, parts: StartPartReport[]): HealthReport {
  const allRunning = parts.every((p) => p.state === 'running');
  return { ...report, status: report.status === 'healthy' && !allRunning ? 'degraded' : report.status, parts };
}
