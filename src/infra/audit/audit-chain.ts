import { sql, type Kysely } from 'kysely';

// The audit log's hash chain, as the database keeps it (migration 0018): entries go in unsealed,
// roshni_auth.seal_audit() appends the committed ones to the chain, and roshni_auth.audit_chain_page()
// walks it a page at a time, recomputing every hash inside the database. Only positions, ids and hashes
// come out: nothing an entry says.

/** What can be wrong with the chain at a position. */
export type ChainProblem = 'edited' | 'missing' | 'inserted' | 'link' | 'anchor';

export interface ChainHead {
  position: number;
  /** sha256, hex. */
  hash: string;
}

export interface BrokenLink {
  position: number;
  /** The entry at that position (none when entries are missing there). */
  id: number | null;
  problem: ChainProblem;
  /** One sentence for the admin (positions, ids and dates only). */
  detail: string;
}

export interface ChainWalk {
  /** Entries on the chain, or, when it is broken, those before the first broken link. */
  entries: number;
  head: ChainHead | null;
  firstBroken: BrokenLink | null;
}

export const GENESIS_HASH = Buffer.alloc(32);

/** bytea as hex (pg gives a Buffer, PGlite a Uint8Array). */
const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
export const CHAIN_PAGE_SIZE = 5_000;

/** Appends every committed unsealed entry to the chain; returns how many. Its own statement (and transaction). */
export async function sealAudit(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ sealed: number }>`SELECT roshni_auth.seal_audit() AS sealed`.execute(db);
  return Number(rows[0]?.sealed ?? 0);
}

interface PageRow {
  entries: number;
  last_position: string | number | null;
  last_hash: Uint8Array | null;
  broken_position: string | number | null;
  broken_id: number | null;
  problem: Exclude<ChainProblem, 'anchor'> | null;
  previous_position: string | number | null;
}

function describe(problem: Exclude<ChainProblem, 'anchor'>, position: number, id: number | null, previous: number): string {
  switch (problem) {
    case 'missing':
      return position - 1 === previous + 1
        ? `the entry at position ${previous + 1} is missing (deleted)`
        : `the entries at positions ${previous + 1} to ${position - 1} are missing (deleted)`;
    case 'inserted':
      return `entry ${id} at position ${position} does not belong to the chain (inserted): the entry after it links past it`;
    case 'link':
      return `entry ${id} at position ${position} does not link to the entry before it (entries removed or replaced before it)`;
    case 'edited':
      return `entry ${id} at position ${position} has been changed since it was written`;
  }
}

/** Walks the whole chain in position order, a page at a time, and stops at the first broken link. */
export async function walkAuditChain(db: Kysely<any>, pageSize = CHAIN_PAGE_SIZE): Promise<ChainWalk> {
  let afterPosition = 0;
  let afterHash: Uint8Array = GENESIS_HASH;
  let entries = 0;
  for (;;) {
    const { rows } = await sql<PageRow>`SELECT * FROM roshni_auth.audit_chain_page(${afterPosition}, ${afterHash}, ${pageSize})`.execute(db);
    const page = rows[0]!;
    if (page.problem) {
      const previous = Number(page.previous_position);
      const missing = page.problem === 'missing';
      const position = missing ? previous + 1 : Number(page.broken_position);
      const id = missing ? null : page.broken_id;
      return {
        // The entries before it, at positions 1…previous, are intact.
        entries: previous,
        head: null,
        firstBroken: { position, id, problem: page.problem, detail: describe(page.problem, Number(page.broken_position), id, previous) },
      };
    }
    if (!page.entries) break;
    entries += Number(page.entries);
    afterPosition = Number(page.last_position);
    afterHash = page.last_hash!;
    if (page.entries < pageSize) break;
  }
  return { entries, head: entries ? { position: afterPosition, hash: hex(afterHash) } : null, firstBroken: null };
}

/** The chain's hashes at these positions (hex; a position the chain does not have is absent). */
export async function chainHashesAt(db: Kysely<any>, positions: number[]): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const unique = [...new Set(positions)];
  for (let i = 0; i < unique.length; i += 1_000) {
    const chunk = unique.slice(i, i + 1_000);
    const { rows } = await sql<{ chain_position: string | number; hash: Uint8Array | null }>`
      SELECT * FROM roshni_auth.audit_chain_hashes(${chunk}::bigint[])`.execute(db);
    for (const row of rows) found.set(Number(row.chain_position), row.hash ? hex(row.hash) : '');
  }
  return found;
}

/** The newest sealed entry, as the tables' owner sees it (after a restore). */
export async function chainHeadAsOwner(db: Kysely<any>): Promise<ChainHead | null> {
  const { rows } = await sql<{ chain_position: string | number; hash: Uint8Array }>`
    SELECT chain_position, hash FROM audit_log WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1`.execute(db);
  const row = rows[0];
  return row ? { position: Number(row.chain_position), hash: hex(row.hash) } : null;
}
