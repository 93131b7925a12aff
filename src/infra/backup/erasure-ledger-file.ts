import { join } from 'node:path';
import { appendJsonLines, readJsonLines } from '../json-lines-file.js';

// The erasure ledger's copy outside the database: erasures.jsonl beside the backups, one JSON line per
// erasure (patient id and P-number, guardian ids, when, who: no personal data). A restore replaces the
// database, its ledger table with it; this file does not go back in time, so erasures recorded after
// the backup was made are still known, even when the database's own ledger is lost. Like the audit
// anchors (src/infra/audit/anchors.ts), each line names its database (databaseIdentity()), lines are
// only ever appended, and a line that cannot be read is counted and skipped.

export const ERASURES_FILE = 'erasures.jsonl';

/** One erasure, as the ledger records it (the database's erasure_ledger row). */
export interface ErasureEntry {
  /** The ledger row's id in the database the erasure was made in. */
  id: number;
  patientId: number;
  patientNumber: string;
  guardianIds: number[];
  /** ISO time of the erasure. */
  erasedAt: string;
  erasedByStaffId: number | null;
  /** The username of the admin who erased, or "system". */
  erasedBy: string;
}

interface ErasureLine extends ErasureEntry {
  database: string;
}

export function erasuresPath(backupDir: string): string {
  return join(backupDir, ERASURES_FILE);
}

/** The same erasure (a ledger row is never changed: its id, patient and time say which). */
export function erasureKey(entry: Pick<ErasureEntry, 'id' | 'patientId' | 'erasedAt'>): string {
  return `${entry.id}/${entry.patientId}/${new Date(entry.erasedAt).toISOString()}`;
}

function isErasureLine(value: unknown): value is ErasureLine {
  const e = value as ErasureLine;
  return (
    Boolean(e) &&
    typeof e.database === 'string' &&
    Number.isSafeInteger(e.id) &&
    Number.isSafeInteger(e.patientId) &&
    typeof e.patientNumber === 'string' &&
    Array.isArray(e.guardianIds) &&
    e.guardianIds.every((g) => Number.isSafeInteger(g)) &&
    typeof e.erasedAt === 'string' &&
    !Number.isNaN(new Date(e.erasedAt).getTime()) &&
    (e.erasedByStaffId === null || Number.isSafeInteger(e.erasedByStaffId)) &&
    typeof e.erasedBy === 'string'
  );
}

/** The database's erasures the file records (each once), and how many lines could not be read. */
export function readErasureFile(file: string, database: string): { entries: ErasureEntry[]; unreadable: number } {
  const { values, unreadable } = readJsonLines(file, isErasureLine);
  const entries = new Map<string, ErasureEntry>();
  for (const { database: lineDatabase, ...entry } of values) {
    if (lineDatabase === database) entries.set(erasureKey(entry), { ...entry, erasedAt: new Date(entry.erasedAt).toISOString() });
  }
  return { entries: [...entries.values()], unreadable };
}

/** Appends the erasures the file does not record yet; how many were appended. */
export function appendErasures(file: string, database: string, entries: ErasureEntry[]): number {
  const known = new Set(readErasureFile(file, database).entries.map(erasureKey));
  const missing = entries.filter((e) => !known.has(erasureKey(e)));
  appendJsonLines(
    file,
    missing.map((e) => ({
      database,
      id: e.id,
      patientId: e.patientId,
      patientNumber: e.patientNumber,
      guardianIds: e.guardianIds,
      erasedAt: new Date(e.erasedAt).toISOString(),
      erasedByStaffId: e.erasedByStaffId,
      erasedBy: e.erasedBy,
    })),
  );
  return missing.length;
}
