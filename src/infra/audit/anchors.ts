import { basename, join } from 'node:path';
import { appendJsonLines, readJsonLines } from '../json-lines-file.js';
import { sql, type Kysely } from 'kysely';
import { chainHashesAt, chainHeadAsOwner, GENESIS_HASH, type BrokenLink, type ChainHead } from './audit-chain.js';

// Anchors: the chain's head (position and hash) written down outside the database, one JSON line each
// time the chain is verified intact, in audit-anchors.jsonl beside the backups. Someone who can rewrite
// the database (its owner) can recompute the whole chain after an edit, and the chain alone would still
// verify; an anchor recorded before the edit then no longer matches. A restore writes a line of its own
// (restoredFrom): the chain before it may legitimately differ, so only anchors from the last restore on count.
// Each line names its database (the server's system identifier and the database's name, which no SQL can
// change), so databases that share a backup folder (a clinic's and a trial one) keep apart.

export const ANCHORS_FILE = 'audit-anchors.jsonl';

export interface Anchor {
  /** Whose chain: databaseIdentity() of the database it was recorded for. */
  database: string;
  at: string;
  position: number;
  hash: string;
  /** A restore's line: the backup file the database was restored from. */
  restoredFrom?: string;
}

/** The database an anchor belongs to: its server's system identifier and its name. */
export async function databaseIdentity(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || current_database() AS id`.execute(db);
  return rows[0]!.id;
}

export function anchorsPath(backupDir: string): string {
  return join(backupDir, ANCHORS_FILE);
}

function isAnchor(value: unknown): value is Anchor {
  const a = value as Anchor;
  // A restore of an empty chain writes position 0: it only says that the anchors before it no longer count.
  const least = a?.restoredFrom === undefined ? 1 : 0;
  return (
    Boolean(a) &&
    typeof a.database === 'string' &&
    typeof a.at === 'string' &&
    Number.isSafeInteger(a.position) &&
    a.position >= least &&
    /^[0-9a-f]{64}$/.test(a.hash)
  );
}

/** The database's anchors that count (from its last restore on), and how many lines could not be read. */
export function readAnchors(file: string, database: string): { anchors: Anchor[]; unreadable: number } {
  const { values, unreadable } = readJsonLines(file, isAnchor);
  let anchors: Anchor[] = [];
  for (const anchor of values.filter((a) => a.database === database)) {
    if (anchor.restoredFrom !== undefined) anchors = [];
    anchors.push(anchor);
  }
  return { anchors, unreadable };
}

/** Appends an anchor unless the last one already says the same. */
export function appendAnchor(file: string, anchor: Anchor): boolean {
  const last = readAnchors(file, anchor.database).anchors.at(-1);
  if (!anchor.restoredFrom && last && last.position === anchor.position && last.hash === anchor.hash) return false;
  appendJsonLines(file, [anchor]);
  return true;
}

/** The first anchor no longer on the chain (by position), or null when every one is. */
export async function brokenAnchor(db: Kysely<any>, anchors: Anchor[], head: ChainHead | null): Promise<BrokenLink | null> {
  anchors = anchors.filter((a) => a.position > 0);
  if (!anchors.length) return null;
  const hashes = await chainHashesAt(
    db,
    anchors.map((a) => a.position),
  );
  const day = (at: string) => at.slice(0, 10);
  for (const anchor of [...anchors].sort((a, b) => a.position - b.position)) {
    const hash = hashes.get(anchor.position);
    if (hash === undefined) {
      const end = head?.position ?? 0;
      return {
        position: end + 1,
        id: null,
        problem: 'missing',
        detail: `the chain ends at position ${end}, but on ${day(anchor.at)} it reached position ${anchor.position}: entries were removed from its end`,
      };
    }
    if (hash !== anchor.hash) {
      return {
        position: anchor.position,
        id: null,
        problem: 'anchor',
        detail: `the chain was rewritten: its hash at position ${anchor.position} is not the one recorded on ${day(anchor.at)} (${ANCHORS_FILE})`,
      };
    }
  }
  return null;
}

/**
 * After a restore (as the tables' owner): the restored chain's head, marked with the backup it came from.
 * Anchors recorded before it no longer count: the chain may legitimately have been longer, or different.
 */
export async function anchorRestore(db: Kysely<any>, backupDir: string, backupFile: string, now: Date): Promise<Anchor> {
  const head = await chainHeadAsOwner(db).catch(() => null);
  const anchor: Anchor = {
    database: await databaseIdentity(db),
    at: now.toISOString(),
    ...(head ?? { position: 0, hash: GENESIS_HASH.toString('hex') }),
    restoredFrom: basename(backupFile),
  };
  appendAnchor(anchorsPath(backupDir), anchor);
  return anchor;
}
