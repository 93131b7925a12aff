import { sql, type Kysely } from 'kysely';
import { anchorsPath } from '../audit/anchors.js';
import { sealAudit } from '../audit/audit-chain.js';
import { directly, verifyAuditChain } from '../audit/verify-chain.js';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { CheckStatus } from './health-report.js';

// The health check 'audit-chain': every run seals the audit entries committed since the last (the health
// job of `roshni start` runs every minute), and at most once a day walks the whole chain as `roshni audit
// verify` does, writing down its head beside the backups. In between, it repeats the last verification's
// finding, found in the health log (health_checks), with its time.

export const AUDIT_VERIFY_EVERY_HOURS = 24;

export interface AuditChainVerdict {
  status: CheckStatus;
  detail: string;
  /** When the chain was last walked (ISO 8601): this run, or the run whose finding this repeats. */
  verifiedAt?: string;
}

/** The last logged finding of a verification, if any. */
async function lastVerification(db: Kysely<DB>): Promise<AuditChainVerdict | null> {
  const { rows } = await sql<{ check: AuditChainVerdict | null }>`
    SELECT (SELECT c FROM jsonb_array_elements(h.results) AS c WHERE c->>'name' = 'audit-chain' LIMIT 1) AS check
    FROM health_checks h WHERE h.results @> '[{"name": "audit-chain"}]'::jsonb
    ORDER BY h.checked_at DESC LIMIT 1`.execute(db);
  const check = rows[0]?.check;
  return check?.verifiedAt ? { status: check.status, detail: check.detail, verifiedAt: check.verifiedAt } : null;
}

const isRefusal = (error: unknown) => (error as { code?: string })?.code === '42501';

/** Walks the whole chain now and says what it found. */
async function verifyNow(db: Kysely<DB>, config: Config, now: Date, last: AuditChainVerdict | null): Promise<AuditChainVerdict> {
  let report;
  try {
    report = await verifyAuditChain(directly(db), { anchorsFile: anchorsPath(config.backupDir), now });
  } catch (error) {
    if (!isRefusal(error)) throw error;
    const since = last ? `since ${last.verifiedAt}` : 'yet';
    return { status: 'warn', detail: `not verified ${since}: \`roshni audit verify\` (an admin) or \`roshni start\`'s health job verifies it` };
  }
  const verifiedAt = report.checkedAt;
  if (report.firstBroken) {
    const { position, problem, detail } = report.firstBroken;
    return { status: 'fail', detail: `broken at position ${position} (${problem}): ${detail} (verified ${verifiedAt})`, verifiedAt };
  }
  const head = report.head ? `, head at position ${report.head.position}` : '';
  if (report.anchors.error) {
    return {
      status: 'warn',
      detail: `intact (${report.entries} entries${head}), but the head could not be written down: ${report.anchors.error} (verified ${verifiedAt})`,
      verifiedAt,
    };
  }
  return { status: 'ok', detail: `intact: ${report.entries} entries${head}, ${report.anchors.checked} anchor(s) checked (verified ${verifiedAt})`, verifiedAt };
}

// A long chain takes longer to walk than a health check may take to answer: in a long-running process
// (roshni start's health job, GET /health) the walk goes on after the check has answered "no answer
// yet", and the next run reports what it found (and logs it, so the day's walk is not begun again).
interface Walks {
  walking: Promise<AuditChainVerdict> | null;
  walked: AuditChainVerdict | null;
}
const walksOf = new WeakMap<Kysely<DB>, Walks>();

const newer = (a: AuditChainVerdict | null, b: AuditChainVerdict | null) =>
  !a ? b : !b ? a : new Date(a.verifiedAt!).getTime() >= new Date(b.verifiedAt!).getTime() ? a : b;

export async function auditChainCheck(db: Kysely<DB>, config: Config, now: Date): Promise<AuditChainVerdict> {
  let walks = walksOf.get(db);
  if (!walks) walksOf.set(db, (walks = { walking: null, walked: null }));
  await sealAudit(db).catch(() => 0); // who may not seal (an old schema) is told so by the verification below
  const last = newer(walks.walked, await lastVerification(db));
  const hours = last ? (now.getTime() - new Date(last.verifiedAt!).getTime()) / 3_600_000 : Infinity;
  if (last && hours >= 0 && hours < AUDIT_VERIFY_EVERY_HOURS) return last;
  if (walks.walking) {
    return last ? { ...last, detail: `${last.detail}; being verified again` } : { status: 'warn', detail: 'being verified (a long chain takes a while)' };
  }
  const walk = verifyNow(db, config, now, last);
  const state = walks;
  state.walking = walk;
  walk
    .then(
      (verdict) => {
        if (verdict.verifiedAt) state.walked = verdict;
      },
      () => {},
    )
    .finally(() => {
      if (state.walking === walk) state.walking = null;
    });
  return walk;
}
