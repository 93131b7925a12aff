import { basename } from 'node:path';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { erasePatient } from './erase.js';
import { cancelUpcomingForReapplication, putBackLedgerRow, type ErasureEntry } from './erasure-ledger.js';

// After a restore the database is the backup's: a patient erased after the backup was made is back.
// Every erasure the ledger recorded (read before the restore, from the database and erasures.jsonl) whose
// patient the restored database holds unerased is applied again, in one transaction; the ledger rows the
// backup lacks are put back. Each re-application is audited (ids and times only).

export interface ReappliedErasure {
  ledgerId: number;
  patientId: number;
  patientNumber: string;
  /** When the erasure was first made. */
  erasedAt: string;
  erasedBy: string;
  cancelledAppointments: string[];
}

export interface ReapplyReport {
  /** The patients erased again. */
  reErased: ReappliedErasure[];
  /** Ledger rows the restored database lacked, put back. */
  ledgerRowsPutBack: number;
  /** Erased patients the restored database does not hold at all (added after the backup). */
  notInBackup: string[];
  /** Ledger entries whose patient id names another P-number here (not touched). */
  mismatched: string[];
}

export interface ErasureStanding {
  /** Recorded erasures whose patient the database holds, not erased: a restore must erase them again. */
  stillHeld: ErasureEntry[];
  alreadyErased: ErasureEntry[];
  notInDatabase: ErasureEntry[];
  mismatched: ErasureEntry[];
}

/** Where each recorded erasure stands in a database (a restored one, or a backup's scratch copy). */
export async function erasureStanding(ctx: Pick<DomainContext, 'db'>, entries: ErasureEntry[]): Promise<ErasureStanding> {
  const standing: ErasureStanding = { stillHeld: [], alreadyErased: [], notInDatabase: [], mismatched: [] };
  if (!entries.length) return standing;
  const ids = [...new Set(entries.map((e) => e.patientId))];
  const patients = new Map(
    (await ctx.db.selectFrom('patients').select(['id', 'patient_number', 'erased_at']).where('id', 'in', ids).execute()).map((p) => [p.id, p]),
  );
  const seen = new Set<number>();
  for (const entry of [...entries].sort((a, b) => a.erasedAt.localeCompare(b.erasedAt) || a.id - b.id)) {
    const patient = patients.get(entry.patientId);
    if (!patient) standing.notInDatabase.push(entry);
    else if (patient.patient_number !== entry.patientNumber) standing.mismatched.push(entry);
    else if (patient.erased_at !== null || seen.has(entry.patientId)) standing.alreadyErased.push(entry);
    else standing.stillHeld.push(entry);
    seen.add(entry.patientId);
  }
  return standing;
}

/** Applies the recorded erasures again (see above), in the caller's transaction or one of its own. */
export async function reapplyErasures(ctx: DomainContext, entries: ErasureEntry[], backupFile: string): Promise<ReapplyReport> {
  return inTransaction(ctx, async (tx) => {
    const standing = await erasureStanding(tx, entries);
    const report: ReapplyReport = { reErased: [], ledgerRowsPutBack: 0, notInBackup: [], mismatched: standing.mismatched.map((e) => e.patientNumber) };
    const file = basename(backupFile);
    for (const entry of standing.stillHeld) {
      const reapplying = { entry, backupFile: file };
      const cancelled = await cancelUpcomingForReapplication(tx, entry.patientId);
      await erasePatient(
        tx,
        { patientId: entry.patientId, reason: `Erasure of ${entry.erasedAt} (erasure ledger #${entry.id}) applied again after restoring ${file}` },
        { reapplying },
      );
      await recordAudit(tx, {
        action: 'patient.erase_reapplied',
        entity: 'patient',
        entityId: entry.patientId,
        patientId: entry.patientId,
        meta: { ledgerId: entry.id, erasedAt: entry.erasedAt, erasedBy: entry.erasedBy, backupFile: file, cancelledAppointments: cancelled },
      });
      report.reErased.push({
        ledgerId: entry.id,
        patientId: entry.patientId,
        patientNumber: entry.patientNumber,
        erasedAt: entry.erasedAt,
        erasedBy: entry.erasedBy,
        cancelledAppointments: cancelled,
      });
    }
    // The ledger rows of every other erasure recorded after the backup (the re-erased ones are put back by erasePatient).
    for (const entry of [...standing.alreadyErased, ...standing.notInDatabase, ...standing.mismatched]) {
      if (await putBackLedgerRow(tx, entry)) report.ledgerRowsPutBack++;
    }
    report.ledgerRowsPutBack += report.reErased.length;
    report.notInBackup = standing.notInDatabase.map((e) => e.patientNumber);
    return report;
  });
}
