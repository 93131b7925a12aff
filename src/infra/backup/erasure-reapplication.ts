import { sql, type Kysely } from 'kysely';
import { systemActor } from '../../domain/actor.js';
import { inTransaction, type DomainContext } from '../../domain/context.js';
import { ledgerEntries } from '../../domain/data-rights/erasure-ledger.js';
import { reapplyErasures, type ReapplyReport } from '../../domain/data-rights/reapply-erasures.js';
import { databaseIdentity } from '../audit/anchors.js';
import type { Clock } from '../clock.js';
import { ownerAtWork } from '../db/row-security.js';
import type { DB } from '../db/schema.js';
import { appendErasures, erasureKey, erasuresPath, readErasureFile, type ErasureEntry } from './erasure-ledger-file.js';
import { OperationalError } from '../failure.js';

// The erasure ledger around a restore (issue 21): read before the restore from the database being replaced
// and from erasures.jsonl, applied again to the restored database, written back to both.

export class ErasureReapplicationError extends OperationalError {
  constructor(message: string) {
    super('unexpected', message);
    this.name = 'ErasureReapplicationError';
  }
}

export interface GatheredErasures {
  /** databaseIdentity() of the database read (null: there was none). */
  database: string | null;
  entries: ErasureEntry[];
  /** Lines of erasures.jsonl that could not be read. */
  unreadable: number;
}

export function mergeErasures(...lists: ErasureEntry[][]): ErasureEntry[] {
  const byKey = new Map<string, ErasureEntry>();
  for (const entry of lists.flat()) byKey.set(erasureKey(entry), entry);
  return [...byKey.values()].sort((a, b) => a.erasedAt.localeCompare(b.erasedAt) || a.id - b.id);
}

async function hasLedger(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`SELECT to_regclass('public.erasure_ledger') IS NOT NULL AS present`.execute(db);
  return Boolean(rows[0]?.present);
}

function systemCtx(db: Kysely<any>, clock: Clock): DomainContext {
  return { db: db as Kysely<DB>, clock, timezone: 'UTC', actor: systemActor };
}

/** The database's ledger (as the system: the owner, or roshni start), or none before migration 0023. */
export async function databaseErasures(db: Kysely<any>, clock: Clock): Promise<ErasureEntry[]> {
  if (!(await hasLedger(db))) return [];
  return inTransaction(systemCtx(db, clock), (tx) => ledgerEntries(tx.db));
}

/** Every erasure recorded for this database: its ledger table and erasures.jsonl beside the backups. */
export async function gatherErasures(db: Kysely<any>, backupDir: string, clock: Clock): Promise<GatheredErasures> {
  const database = await databaseIdentity(db);
  const fromFile = readErasureFile(erasuresPath(backupDir), database);
  return { database, entries: mergeErasures(await databaseErasures(db, clock), fromFile.entries), unreadable: fromFile.unreadable };
}

/** Copies the database's ledger rows that erasures.jsonl lacks into it; how many. `ctx`: whoever may read the ledger. */
export async function syncErasureFile(ctx: DomainContext, backupDir: string): Promise<number> {
  const { entries, database } = await inTransaction(ctx, async (tx) => ({ entries: await ledgerEntries(tx.db), database: await databaseIdentity(tx.db) }));
  return appendErasures(erasuresPath(backupDir), database, entries);
}

/**
 * After a restore, as the tables' owner: every gathered erasure (and those erasures.jsonl records for the
 * restored database's own identity) applied again where the restored database still holds the patient,
 * the missing ledger rows put back, in one transaction. A backup from before migration 0023 is migrated
 * first (erasing needs today's schema). The file then records every erasure for the restored database.
 */
export async function reapplyAfterRestore(
  db: Kysely<any>,
  options: { backupDir: string; backupFile: string; gathered: GatheredErasures; clock: Clock; progress: (line: string) => void },
): Promise<ReapplyReport & { recorded: number }> {
  const restoredIdentity = await databaseIdentity(db);
  const file = erasuresPath(options.backupDir);
  const entries = mergeErasures(
    options.gathered.entries,
    restoredIdentity !== options.gathered.database ? readErasureFile(file, restoredIdentity).entries : [],
  );
  const none: ReapplyReport = { reErased: [], ledgerRowsPutBack: 0, notInBackup: [], mismatched: [] };
  if (!entries.length) return { ...none, recorded: 0 };
  try {
    if (!(await hasLedger(db))) {
      options.progress('The backup predates the erasure ledger: migrating the restored database before applying erasures again…');
      const { migrateToLatest } = await import('../db/migrate.js');
      await migrateToLatest(db);
    }
    const report = await db.transaction().execute(async (trx) => {
      await ownerAtWork(trx);
      return reapplyErasures(systemCtx(trx, options.clock), entries, options.backupFile);
    });
    appendErasures(file, restoredIdentity, entries);
    return { ...report, recorded: entries.length };
  } catch (error) {
    throw new ErasureReapplicationError(
      `the ${entries.length} erasure(s) recorded in the erasure ledger could not be applied again to the restored database (${(error as Error).message})`,
    );
  }
}
