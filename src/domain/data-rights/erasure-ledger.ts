import { sql, type Kysely } from 'kysely';
import type { ErasureEntry } from '../../infra/backup/erasure-ledger-file.js';
import type { DB } from '../../infra/db/schema.js';
import { recordedStaff } from '../actor.js';
import type { DomainContext } from '../context.js';
import { cancelAppointment } from '../scheduling/cancel-appointment.js';

// The erasure ledger (migration 0023): one row per erasure, with no personal data, so that a restore of a
// backup made before an erasure can apply it again (src/domain/data-rights/reapply-erasures.ts). Written
// by erasePatient in its own transaction; copied to erasures.jsonl beside the backups after the fact.

export type { ErasureEntry };

/** An erasure being applied again after a restore: the ledger's original entry, and the backup restored. */
export interface Reapplying {
  entry: ErasureEntry;
  backupFile: string;
}

export interface EraseOptions {
  /** Re-applying a recorded erasure (after a restore): upcoming appointments are cancelled, not refused; the original ledger row is put back. */
  reapplying?: Reapplying;
}

type LedgerRow = {
  id: number;
  patient_id: number;
  patient_number: string;
  guardian_ids: number[];
  erased_at: Date | string;
  erased_by_staff_id: number | null;
  erased_by: string;
};

export function entryOfRow(row: LedgerRow): ErasureEntry {
  return {
    id: row.id,
    patientId: row.patient_id,
    patientNumber: row.patient_number,
    guardianIds: [...row.guardian_ids].map(Number),
    erasedAt: new Date(row.erased_at).toISOString(),
    erasedByStaffId: row.erased_by_staff_id,
    erasedBy: row.erased_by,
  };
}

/** Every erasure the database's ledger records, oldest first (only admins and the system see them). */
export async function ledgerEntries(db: Kysely<DB>): Promise<ErasureEntry[]> {
  const rows = await db.selectFrom('erasure_ledger').selectAll().orderBy('erased_at').orderBy('id').execute();
  return rows.map(entryOfRow);
}

/** Puts a recorded erasure's row back as it was (its own id, time and author), unless the ledger has it. */
export async function putBackLedgerRow(ctx: DomainContext, entry: ErasureEntry): Promise<boolean> {
  const same = await ctx.db
    .selectFrom('erasure_ledger')
    .select('id')
    .where('patient_id', '=', entry.patientId)
    .where('erased_at', '=', new Date(entry.erasedAt))
    .executeTakeFirst();
  if (same) return false;
  const taken = await ctx.db.selectFrom('erasure_ledger').select('id').where('id', '=', entry.id).executeTakeFirst();
  await ctx.db
    .insertInto('erasure_ledger')
    .values({
      ...(taken ? {} : { id: entry.id }),
      patient_id: entry.patientId,
      patient_number: entry.patientNumber,
      guardian_ids: entry.guardianIds,
      erased_at: new Date(entry.erasedAt),
      erased_by_staff_id: entry.erasedByStaffId,
      erased_by: entry.erasedBy,
    })
    .execute();
  // Ids given by hand: the next erasure's id comes after them.
  await sql`SELECT setval(pg_get_serial_sequence('erasure_ledger', 'id'), (SELECT max(id) FROM erasure_ledger))`.execute(ctx.db);
  return true;
}

/**
 * Records an erasure in the ledger, inside erasePatient's transaction (just before its audit entry).
 * Re-applying one after a restore puts the original row back instead (the erasure's own time and author).
 */
export async function recordErasure(
  ctx: DomainContext,
  erased: { patientId: number; patientNumber: string; guardianIds: number[]; erasedAt: Date },
  options: EraseOptions = {},
): Promise<void> {
  if (options.reapplying) {
    await putBackLedgerRow(ctx, options.reapplying.entry);
    return;
  }
  const staff = recordedStaff(ctx.actor);
  const username = staff
    ? ((await ctx.db.selectFrom('staff_users').select('username').where('id', '=', staff.staffUserId).executeTakeFirst())?.username ??
      `staff #${staff.staffUserId}`)
    : ctx.actor.kind;
  await ctx.db
    .insertInto('erasure_ledger')
    .values({
      patient_id: erased.patientId,
      patient_number: erased.patientNumber,
      guardian_ids: erased.guardianIds,
      erased_at: erased.erasedAt,
      erased_by_staff_id: staff?.staffUserId ?? null,
      erased_by: username,
    })
    .execute();
}

/**
 * Re-applying an erasure: the patient's appointments still to come are cancelled by the clinic (an
 * erasure the clinic already made is not refused for them, as a first erasure is).
 */
export async function cancelUpcomingForReapplication(ctx: DomainContext, patientId: number): Promise<string[]> {
  const now = ctx.clock.now();
  const upcoming = await ctx.db
    .selectFrom('appointments')
    .select(['id', 'appointment_number'])
    .where('patient_id', '=', patientId)
    .where('status', 'in', ['scheduled', 'confirmed'])
    .where('starts_at', '>', now)
    .execute();
  for (const appointment of upcoming) {
    await cancelAppointment(ctx, { appointmentId: appointment.id, reason: 'The patient was erased', clinicInitiated: true });
  }
  return upcoming.map((a) => a.appointment_number);
}
