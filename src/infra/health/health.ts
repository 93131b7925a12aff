import { statfs as statfsCallback } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { pendingMigrations } from '../db/migrate.js';
import { looseEntries } from '../private-directory.js';
import { documentStoreFor } from '../storage/file-document-store.js';
import type { DB } from '../db/schema.js';
import { describeTimeout } from '../outbound.js';
import { externalServices, refused, whatsappCheck, type Verdict } from './external-services.js';
import { whatsappSandboxCheck } from './whatsapp-sandbox.js';

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

export const BACKUP_MAX_AGE_HOURS = 26;
export const VERIFIED_BACKUP_MAX_AGE_DAYS = 8;
const DISK_FAIL_BYTES = 200 * 1024 ** 2;
const DISK_WARN_BYTES = 1024 ** 3;
const OUTBOX_LATE_MINUTES = 15;
const SERVICE_TIMEOUT_MS = 5_000;
const CHECKS_ANSWER_WITHIN_MS = 10_000;
/**
 * GET /health answers within a second, whatever hangs: it waits this long for the checks, leaving
 * room for a busy machine; a check still running then is shown by its last result (see healthProbe).
 */
export const HEALTH_ENDPOINT_ANSWER_WITHIN_MS = 700;

/** What the checks reach outside the process; tests replace these (a full disk, say). */
export const healthProbes = {
  diskSpace: (path: string) => systemDiskSpace(path),
};

export function systemDiskSpace(path: string): Promise<DiskSpace> {
  return new Promise((resolve, reject) =>
    statfsCallback(path, (error, stats) =>
      error ? reject(error) : resolve({ freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }),
    ),
  );
}

/** A check under way: its verdict never rejects; `onTimeout` is what it says when it does not answer in time. */
interface RunningCheck {
  name: string;
  onTimeout: CheckStatus;
  result: Promise<HealthCheck>;
}

/**
 * Runs one check within `withinMs`: a check still running then (a hung database, a service that
 * does not answer) is reported with `onTimeout` and left to finish unseen.
 */
function timed(
  name: string,
  check: () => Promise<{ status: CheckStatus; detail: string; verifiedAt?: string }>,
  withinMs: number,
  onTimeout: CheckStatus = 'warn',
): RunningCheck {
  const began = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Verdict>((resolve) => {
    timer = setTimeout(() => resolve({ status: onTimeout, detail: `no answer ${describeTimeout(withinMs)}` }), withinMs);
  });
  const result = Promise.race([check(), late]).then(
    (verdict): HealthCheck => ({ name, ...verdict, ms: Math.round(performance.now() - began) }),
    (error: unknown): HealthCheck => ({ name, status: 'fail', detail: (error as Error).message, ms: Math.round(performance.now() - began) }),
  );
  return { name, onTimeout, result: result.finally(() => clearTimeout(timer)) };
}

function hoursSince(at: Date, now: Date): number {
  return (now.getTime() - at.getTime()) / 3_600_000;
}

function describeAge(hours: number): string {
  return hours < 48 ? `${Math.round(hours)} h ago` : `${Math.round(hours / 24)} days ago`;
}

/**
 * The last restore, from its audit entry (src/infra/backup/restore-record.ts), as a clause of the backup
 * check: when, which file, by whom. Empty when there was none, or when this connection may not read the audit log.
 */
async function lastRestore(db: Kysely<DB>, now: Date): Promise<string> {
  let row: { at: Date; meta: unknown; username: string | null } | undefined;
  try {
    row = await db
      .selectFrom('audit_log as a')
      .leftJoin('staff_users as u', (join) => join.onRef('u.id', '=', 'a.actor_id').on('a.actor_kind', '=', 'staff'))
      .select(['a.at', 'a.meta', 'u.username'])
      .where('a.action', '=', 'backup.restore')
      .orderBy('a.at', 'desc')
      .orderBy('a.id', 'desc')
      .executeTakeFirst();
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return '';
    throw error;
  }
  if (!row) return '';
  const meta = (row.meta ?? {}) as { file?: string; restoredBy?: { username?: string } | null };
  const by = row.username ?? meta.restoredBy?.username ?? 'nobody signed in';
  const at = new Date(row.at);
  return `; last restore ${describeAge(hoursSince(at, now))} (${at.toISOString().slice(0, 16).replace('T', ' ')} UTC): ${meta.file ?? 'a backup'}, by ${by}`;
}

/** The nearest existing directory at or above `path` (ROSHNI_HOME may not exist yet). */
async function existingAncestor(path: string, diskSpace: (path: string) => Promise<DiskSpace>): Promise<DiskSpace> {
  let current = path;
  for (;;) {
    try {
      return await diskSpace(current);
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** Runs every check. Never throws: a check that cannot run fails. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const run = startChecks(deps);
  return reportOf(await Promise.all(run.checks.map((c) => c.result)), run);
}

interface ChecksRun {
  checkedAt: string;
  began: number;
  checks: RunningCheck[];
}

function reportOf(results: HealthCheck[], run: ChecksRun): HealthReport {
  const status: HealthStatus = results.some((c) => c.status === 'fail') ? 'unhealthy' : results.some((c) => c.status === 'warn') ? 'degraded' : 'healthy';
  return { status, checkedAt: run.checkedAt, durationMs: Math.round(performance.now() - run.began), checks: results };
}

/** What Roshni keeps on disk, for its owner only: what each tree is, for the warning. */
function privateTrees(config: Config): Array<{ root: string; what: string; onlyItself?: boolean }> {
  return [
    { root: config.home, what: 'ROSHNI_HOME', onlyItself: true },
    ...(config.databaseUrl ? [] : [{ root: join(config.home, 'pg'), what: "the embedded database's files" }]),
    { root: config.backupDir, what: 'the backups' },
    { root: config.documentsDir, what: "the patients' documents" },
  ];
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

/** Files 0600 and directories 0700 under the home, the backups and the documents: warns, one line, about the first that is looser. */
function fileModesCheck(config: Config): { status: CheckStatus; detail: string } {
  const loose = privateTrees(config).flatMap(({ root, what, onlyItself }) =>
    looseEntries(root, { limit: 100, recurse: !onlyItself }).map((entry) => ({ ...entry, what })),
  );
  if (!loose.length) return { status: 'ok', detail: 'data, backups and documents are readable by their owner only' };
  const [first] = loose;
  const should = first!.kind === 'directory' ? '0700' : '0600';
  const more = loose.length > 1 ? ` (and ${loose.length >= 100 ? 'at least ' : ''}${loose.length - 1} more)` : '';
  return {
    status: 'warn',
    detail: `${first!.path} (${first!.what}, a ${first!.kind}) is ${octal(first!.mode)}, should be ${should}${more}: \`chmod -R go= ${first!.path}\``,
  };
}

/** Starts every check at once. */
function startChecks(deps: HealthDeps): ChecksRun {
  const began = performance.now();
  const now = deps.clock.now();
  const { config } = deps;
  const db = 'error' in deps.db ? null : deps.db;
  const openError = 'error' in deps.db ? deps.db.error : null;
  const diskSpace = deps.diskSpace ?? healthProbes.diskSpace;
  const doFetch = deps.fetch ?? fetch;
  const within = deps.answerWithinMs ?? CHECKS_ANSWER_WITHIN_MS;
  // A service is given its own time, and less when the whole answer must come sooner.
  const serviceTimeoutMs = Math.min(SERVICE_TIMEOUT_MS, within - 50);

  const checks: RunningCheck[] = [];
  checks.push(
    timed(
      'database',
      async () => {
        if (!db) return { status: 'fail', detail: `unreachable: ${openError?.message ?? 'unknown error'}` };
        try {
          await sql`SELECT 1`.execute(db);
        } catch (error) {
          return { status: 'fail', detail: `unreachable: ${(error as Error).message}` };
        }
        const pending = await pendingMigrations(db);
        return pending.length
          ? { status: 'fail', detail: `reachable, but ${pending.length} migration(s) pending: run \`roshni db migrate\`` }
          : { status: 'ok', detail: 'reachable, migrations current' };
      },
      within,
      'fail',
    ),
  );
  checks.push(
    timed(
      'disk',
      async () => {
        const { freeBytes, totalBytes } = await existingAncestor(config.home, diskSpace);
        const percent = totalBytes ? (freeBytes / totalBytes) * 100 : 0;
        const detail = `${(freeBytes / 1024 ** 3).toFixed(1)} GB free (${percent.toFixed(0)}%) under ${config.home}`;
        if (freeBytes < DISK_FAIL_BYTES || percent < 2) return { status: 'fail', detail };
        if (freeBytes < DISK_WARN_BYTES || percent < 10) return { status: 'warn', detail };
        return { status: 'ok', detail };
      },
      within,
    ),
  );
  if (db) {
    checks.push(
      timed(
        'backup',
        async () => {
          const last = await db
            .selectFrom('backups')
            .select('finished_at')
            .where('state', 'in', ['completed', 'rotated'])
            .where('finished_at', 'is not', null)
            .orderBy('finished_at', 'desc')
            .executeTakeFirst();
          const restore = await lastRestore(db, now);
          if (!last?.finished_at) return { status: 'warn', detail: `no successful backup yet: \`roshni backup create\`${restore}` };
          const hours = hoursSince(last.finished_at, now);
          return { status: hours < BACKUP_MAX_AGE_HOURS ? 'ok' : 'warn', detail: `last successful backup ${describeAge(hours)}${restore}` };
        },
        within,
      ),
      timed(
        'backup-clock',
        async () => {
          const { futureDatedBackups } = await import('../backup/backup-names.js');
          const future = futureDatedBackups(config.backupDir, now);
          if (!future.length) return { status: 'ok', detail: 'no backup dated in the future' };
          const newest = future[0]!.at.toISOString();
          return {
            status: 'warn',
            detail: `clock problem: ${future.length} backup(s) dated in the future (the newest ${newest}); they are never \`latest\` nor rotated away: check the clock`,
          };
        },
        within,
      ),
      timed(
        'backup-retention',
        async () => {
          const { overOldBackups, longestRetentionDays } = await import('../backup/backups.js');
          const old = overOldBackups(config, now);
          const days = longestRetentionDays(config);
          if (!old.length) return { status: 'ok', detail: `no backup file older than the longest retention (${days} days)` };
          return {
            status: 'warn',
            detail: `${old.length} backup file(s) older than the longest retention (${days} days; the oldest from ${old[0]!.at.toISOString().slice(0, 10)}) still hold the data of patients erased since: remove them, or keep them knowingly`,
          };
        },
        within,
      ),
      timed(
        'verified-backup',
        async () => {
          const last = await db
            .selectFrom('backups')
            .select('verified_at')
            .where('verified_at', 'is not', null)
            .orderBy('verified_at', 'desc')
            .executeTakeFirst();
          if (!last?.verified_at) return { status: 'warn', detail: 'no backup verified yet: `roshni backup verify latest`' };
          const hours = hoursSince(last.verified_at, now);
          return { status: hours < VERIFIED_BACKUP_MAX_AGE_DAYS * 24 ? 'ok' : 'warn', detail: `last verified backup ${describeAge(hours)}` };
        },
        within,
      ),
      timed(
        'outbox',
        async () => {
          const lateBefore = new Date(now.getTime() - OUTBOX_LATE_MINUTES * 60_000);
          const row = await db
            .selectFrom('notifications')
            .select([
              sql<number>`count(*) FILTER (WHERE state IN ('pending', 'sending') AND due_at < ${lateBefore})`.as('late'),
              sql<number>`count(*) FILTER (WHERE state = 'failed')`.as('failed'),
            ])
            .executeTakeFirstOrThrow();
          const late = Number(row.late);
          const failed = Number(row.failed);
          return {
            status: late || failed ? 'warn' : 'ok',
            detail:
              `${late} message(s) more than ${OUTBOX_LATE_MINUTES} min late${late ? ' (they go out while `roshni start` runs)' : ''}, ` +
              `${failed} failed${failed ? ' (`roshni notifications list --failed`)' : ''}`,
          };
        },
        within,
      ),
      timed('audit-chain', async () => (await import('./audit-chain-check.js')).auditChainCheck(db, config, now), within),
    );
  }
  checks.push(
    timed(
      'documents',
      async () => {
        // The store itself writes the probe, where it writes documents (same folder, same resolution).
        const store = documentStoreFor(config);
        await store.probe();
        return { status: 'ok', detail: `${store.dir} is writable` };
      },
      within,
    ),
  );
  checks.push(timed('file-modes', async () => fileModesCheck(config), within));
  for (const service of externalServices(config)) {
    checks.push(
      timed(
        service.name,
        async () => {
          let response: Response;
          let body: Record<string, unknown> | null;
          try {
            response = await doFetch(service.url, {
              headers: service.headers ?? {},
              signal: deps.signal ? AbortSignal.any([AbortSignal.timeout(serviceTimeoutMs), deps.signal]) : AbortSignal.timeout(serviceTimeoutMs),
            });
            const parsed: unknown = await response.json().catch(() => null);
            body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
          } catch (error) {
            return { status: 'warn', detail: `unreachable: ${(error as Error).message}` };
          }
          const verdict = service.judge?.(response.status, body);
          if (verdict) return verdict;
          if (response.status === 401 || response.status === 403) return refused(`HTTP ${response.status}`);
          if (response.status >= 500) return { status: 'warn', detail: `answering with HTTP ${response.status}` };
          return { status: 'ok', detail: `reachable (HTTP ${response.status})` };
        },
        within,
      ),
    );
  }
  if (config.env.WHATSAPP_ENABLED) {
    checks.push(timed('whatsapp', () => whatsappCheck(config, deps.whatsappState, serviceTimeoutMs), within));
    checks.push(timed('whatsapp-sandbox', async () => whatsappSandboxCheck(config, deps.userId), within));
  }
  return { checkedAt: now.toISOString(), began, checks };
}

/** The report with the parts of `roshni start` as they are now: one not running makes it degraded at least. */
export function withParts(report: HealthReport, parts: StartPartReport[]): HealthReport {
  const allRunning = parts.every((p) => p.state === 'running');
  return { ...report, status: report.status === 'healthy' && !allRunning ? 'degraded' : report.status, parts };
}

/** The check's result, or `standIn()` if it has none after `ms`. */
async function resultWithin(check: RunningCheck, ms: number, standIn: () => HealthCheck): Promise<HealthCheck> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<HealthCheck>((resolve) => (timer = setTimeout(() => resolve(standIn()), Math.max(0, ms))));
  try {
    return await Promise.race([check.result, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /health's probe (`roshni serve`, `roshni start`): the report of `roshni health --json`, within a
 * second whatever hangs, and with `roshni start`'s parts as they are at that moment. Requests within
 * `maxAgeMs` share one run of the checks, so a busy monitor does not become a flood of calls to
 * Telegram, Razorpay and the others. The answer waits `answerWithinMs` for the run: a check still
 * running then (a far service on a cold connection, a hung database) is shown by its last result,
 * with that result's time, or, the first time, as not answering yet; it finishes in the background
 * with its own time limit, and the next answers have it.
 */
export function healthProbe(
  deps: HealthDeps,
  options: { maxAgeMs?: number; answerWithinMs?: number; parts?: () => StartPartReport[] } = {},
): () => Promise<HealthReport> {
  const maxAgeMs = options.maxAgeMs ?? 10_000;
  const answerWithinMs = options.answerWithinMs ?? HEALTH_ENDPOINT_ANSWER_WITHIN_MS;
  const lastKnown = new Map<string, { check: HealthCheck; at: string }>();
  const standIn = (check: RunningCheck): HealthCheck => {
    const last = lastKnown.get(check.name);
    if (last) return { ...last.check, detail: `${last.check.detail} (as of ${last.at}; being checked again)` };
    return { name: check.name, status: check.onTimeout, detail: `no answer yet ${describeTimeout(answerWithinMs)} (still checking)`, ms: answerWithinMs };
  };
  let last: (ChecksRun & { at: number }) | undefined;
  return async () => {
    const now = performance.now();
    if (!last || now - last.at > maxAgeMs) {
      const run = startChecks(deps);
      for (const check of run.checks) void check.result.then((result) => lastKnown.set(check.name, { check: result, at: run.checkedAt }));
      last = { ...run, at: now };
    }
    const run = last;
    const waitMs = run.at + answerWithinMs - performance.now();
    const report = reportOf(await Promise.all(run.checks.map((check) => resultWithin(check, waitMs, () => standIn(check)))), run);
    return options.parts ? withParts(report, options.parts()) : report;
  };
}

/** Logs a report in health_checks (when the database answers). */
export async function recordHealth(db: Kysely<DB>, report: HealthReport): Promise<void> {
  await db
    .insertInto('health_checks')
    .values({ checked_at: new Date(report.checkedAt), status: report.status, duration_ms: report.durationMs, results: JSON.stringify(report.checks) })
    .execute();
}

export const HEALTH_EXIT_CODE: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };
