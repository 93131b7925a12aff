import type { Kysely } from 'kysely';
import { appendAnchor, brokenAnchor, databaseIdentity, readAnchors } from './anchors.js';
import { sealAudit, walkAuditChain, type BrokenLink, type ChainHead } from './audit-chain.js';

// `roshni audit verify` and the health check's daily run: seal what has been committed, walk the chain,
// check the anchors kept outside the database, and, when all is well, write down the new head.

export interface AuditChainReport {
  intact: boolean;
  checkedAt: string;
  /** Entries on the chain (up to the first broken link). */
  entries: number;
  /** Entries sealed by this run (committed since the last seal). */
  sealed: number;
  head: ChainHead | null;
  firstBroken: BrokenLink | null;
  anchors: {
    file: string;
    /** Anchors checked (from the last restore on). */
    checked: number;
    /** Lines of the file that are not anchors. */
    unreadable: number;
    /** Whether this run's head was written down. */
    recorded: boolean;
    /** Why the head could not be written down. */
    error?: string;
  };
}

export interface VerifyOptions {
  anchorsFile: string;
  now: Date;
  pageSize?: number;
}

/**
 * Runs work on the database: in a transaction that tells the database who acts (the domain's
 * inTransaction, so that an admin's session is checked), or directly (the health check, as roshni start).
 */
export type Transact = <T>(work: (db: Kysely<any>) => Promise<T>) => Promise<T>;

export const directly =
  (db: Kysely<any>): Transact =>
  (work) =>
    work(db);

/** Seals (its own transaction, so other sealers wait only for that), then walks the chain and checks the anchors. */
export async function verifyAuditChain(transact: Transact, options: VerifyOptions): Promise<AuditChainReport> {
  const sealed = await transact((db) => sealAudit(db));
  const database = await transact((db) => databaseIdentity(db));
  const { anchors, unreadable } = readAnchors(options.anchorsFile, database);
  const { walk, firstBroken } = await transact(async (db) => {
    const walk = await walkAuditChain(db, options.pageSize);
    return { walk, firstBroken: walk.firstBroken ?? (await brokenAnchor(db, anchors, walk.head)) };
  });
  const report: AuditChainReport = {
    intact: !firstBroken,
    checkedAt: options.now.toISOString(),
    entries: walk.entries,
    sealed,
    head: firstBroken ? null : walk.head,
    firstBroken,
    anchors: { file: options.anchorsFile, checked: walk.firstBroken ? 0 : anchors.length, unreadable, recorded: false },
  };
  if (report.intact && report.head) {
    try {
      report.anchors.recorded = appendAnchor(options.anchorsFile, { database, at: report.checkedAt, ...report.head });
    } catch (error) {
      report.anchors.error = (error as Error).message;
    }
  }
  return report;
}
