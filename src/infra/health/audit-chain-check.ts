import { sql, type Kysely } from 'kysely';
import { anchorsPath } from '../audit/anchors.js';
import { sealAudit } from '../audit/audit-chain.js';
import { directly, verifyAuditChain } from '../audit/verify-chain.js';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { CheckStatus } from './health.js';

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

export async function auditChainCheck(db: Kysely<DB>, config: Config, now: Date): Promise<AuditChainVerdict> {
  await sealAudit(db).catch(() => 0); // who may not seal (an old schema) is told so by the verification below
  const last = await lastVerification(db);
  const hours = last ? (now.getTime() - new Date(last.verifiedAt!).getTime()) / 3_600_000 : Infinity;
  if (last && hours >= 0 && hours < AUDIT_VERIFY_EVERY_HOURS) return last;
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
    return { status: 'warn', detail: `intact (${report.entries} entries${head}), but the head could not be written down: ${report.anchors.error} (verified ${verifiedAt})`, verifiedAt };
  }
  return { status: 'ok', detail: `intact: ${report.entries} entries${head}, ${report.anchors.checked} anchor(s) checked (verified ${verifiedAt})`, verifiedAt };
}
