import { z } from 'zod';
import { staffUserIdOf } from '../actor.js';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, NotFoundError, parseInput } from '../errors.js';
import { requireLivePatient } from '../people/live-patient.js';
import { authorize } from '../policy.js';

// Consents under the DPDP Act 2023: what was consented to (purpose), by whom, when, through which
// channel and which notice; withdrawable as easily as given. A consent about a patient has that
// patient's id (given by the patient, or for a child by the guardian named with it); a guardian's
// own consent from a chat registration has only the guardian's id. Rows are never deleted: a
// withdrawal stamps withdrawn_at.
//
// Messaging: with every messaging consent about a patient withdrawn (or the recipient's own),
// no reminders are written for that patient (notifications/recipients.ts) and the pending ones
// are withdrawn at once. Messages the clinic owes for a change the patient asked for (booking,
// cancellation, payment receipts) are not "non-essential" and still go.

export const CONSENT_PURPOSES = ['data_processing', 'messaging', 'marketing', 'treatment'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONSENT_CHANNELS = ['cli', 'paper', 'telegram', 'whatsapp', 'terminal_chat'] as const;

/** The notice version recorded for consents taken at the desk when none is named. */
export const DESK_NOTICE_VERSION = 'desk-2026-11';

const purpose = z.enum(CONSENT_PURPOSES, { error: `must be one of ${CONSENT_PURPOSES.join(', ')}` });

async function linkedGuardian(ctx: DomainContext, patientId: number, guardianId: number) {
  const link = await ctx.db
    .selectFrom('patient_guardians')
    .select('guardian_id')
    .where('patient_id', '=', patientId)
    .where('guardian_id', '=', guardianId)
    .executeTakeFirst();
  if (!link) throw new NotFoundError(`Guardian ${guardianId} is not linked to patient ${patientId}.`);
}

/** A grant's or withdrawal's input, for a patient in care and a guardian of theirs. */
async function manageInput<S extends z.ZodType<{ patientId: number; guardianId?: number | undefined }>>(
  ctx: DomainContext,
  schema: S,
  raw: unknown,
): Promise<z.infer<S>> {
  authorize(ctx.actor, 'consent.manage');
  const input = parseInput(schema, raw);
  await requireLivePatient(ctx, input.patientId);
  if (input.guardianId !== undefined) await linkedGuardian(ctx, input.patientId, input.guardianId);
  return input;
}

/** Every consent about the patient, and their guardians' own consents, oldest first. */
export async function listConsents(ctx: DomainContext, raw: { patientId: number }) {
  authorize(ctx.actor, 'consent.read');
  const { patientId } = parseInput(z.object({ patientId: z.number().int().positive() }), raw);
  await requireLivePatient(ctx, patientId);
  const rows = await ctx.db
    .selectFrom('consents as c')
    .leftJoin('guardians as g', 'g.id', 'c.guardian_id')
    .select([
      'c.id',
      'c.patient_id',
      'c.guardian_id',
      'g.full_name as guardian_name',
      'c.purpose',
      'c.channel',
      'c.notice_version',
      'c.granted_at',
      'c.withdrawn_at',
    ])
    .where((eb) =>
      eb.or([
        eb('c.patient_id', '=', patientId),
        eb.and([
          eb('c.patient_id', 'is', null),
          eb('c.guardian_id', 'in', eb.selectFrom('patient_guardians').select('guardian_id').where('patient_id', '=', patientId)),
        ]),
      ]),
    )
    .orderBy('c.granted_at')
    .orderBy('c.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    purpose: r.purpose,
    about: r.patient_id === null ? ('guardian' as const) : ('patient' as const),
    givenBy: r.guardian_id === null ? { kind: 'patient' as const } : { kind: 'guardian' as const, guardianId: r.guardian_id, name: r.guardian_name },
    channel: r.channel,
    noticeVersion: r.notice_version,
    grantedAt: r.granted_at,
    withdrawnAt: r.withdrawn_at,
    inForce: r.withdrawn_at === null,
  }));
}

const grantInput = z.object({
  patientId: z.number().int().positive(),
  purpose,
  channel: z.enum(CONSENT_CHANNELS, { error: `must be one of ${CONSENT_CHANNELS.join(', ')}` }).default('cli'),
  noticeVersion: z.string().trim().min(1).max(40).default(DESK_NOTICE_VERSION),
  /** The guardian giving it for a child. */
  guardianId: z.number().int().positive().optional(),
});

/** Records a consent given at the desk (or on paper); a messaging consent lifts an earlier "stop". */
export async function grantConsent(ctx: DomainContext, raw: z.input<typeof grantInput>) {
  const input = await manageInput(ctx, grantInput, raw);
  return inTransaction(ctx, async (tx) => {
    const existing = await tx.db
      .selectFrom('consents')
      .select(['id', 'granted_at'])
      .where('patient_id', '=', input.patientId)
      .where('purpose', '=', input.purpose)
      .where('withdrawn_at', 'is', null)
      .$if(input.guardianId === undefined, (qb) => qb.where('guardian_id', 'is', null))
      .$if(input.guardianId !== undefined, (qb) => qb.where('guardian_id', '=', input.guardianId!))
      .executeTakeFirst();
    if (existing) throw new ConflictError(`A ${input.purpose.replace('_', ' ')} consent is already in force (consent ${existing.id}).`);
    const row = await tx.db
      .insertInto('consents')
      .values({
        patient_id: input.patientId,
        guardian_id: input.guardianId ?? null,
        purpose: input.purpose,
        channel: input.channel,
        notice_version: input.noticeVersion,
        granted_at: tx.clock.now(),
        recorded_by_staff_id: staffUserIdOf(tx.actor),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (input.purpose === 'messaging') {
      if (input.guardianId === undefined) await tx.db.updateTable('patients').set({ reminders_opted_out_at: null }).where('id', '=', input.patientId).execute();
      else await tx.db.updateTable('guardians').set({ reminders_opted_out_at: null }).where('id', '=', input.guardianId).execute();
    }
    await recordAudit(tx, {
      action: 'consent.grant',
      entity: 'consent',
      entityId: row.id,
      patientId: input.patientId,
      after: { purpose: row.purpose, channel: row.channel, noticeVersion: row.notice_version, guardianId: row.guardian_id },
    });
    return {
      id: row.id,
      purpose: row.purpose,
      channel: row.channel,
      noticeVersion: row.notice_version,
      grantedAt: row.granted_at,
      guardianId: row.guardian_id,
    };
  });
}

const withdrawInput = z.object({
  patientId: z.number().int().positive(),
  purpose,
  /** Also withdraw this guardian's own consents of that purpose (given in a chat). */
  guardianId: z.number().int().positive().optional(),
});

/** Withdraws every consent of that purpose in force about the patient (and the guardian's own, when named). */
export async function withdrawConsent(ctx: DomainContext, raw: z.input<typeof withdrawInput>) {
  const input = await manageInput(ctx, withdrawInput, raw);
  return inTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const withdrawn = await tx.db
      .updateTable('consents')
      .set({ withdrawn_at: now })
      .where('purpose', '=', input.purpose)
      .where('withdrawn_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('patient_id', '=', input.patientId),
          ...(input.guardianId !== undefined ? [eb.and([eb('patient_id', 'is', null), eb('guardian_id', '=', input.guardianId)])] : []),
        ]),
      )
      .returning('id')
      .execute();
    if (!withdrawn.length) throw new NotFoundError(`No ${input.purpose.replace('_', ' ')} consent is in force for this patient.`);
    const remindersWithdrawn = input.purpose === 'messaging' ? await withdrawPendingReminders(tx, input.patientId, input.guardianId) : 0;
    await recordAudit(tx, {
      action: 'consent.withdraw',
      entity: 'patient',
      entityId: input.patientId,
      patientId: input.patientId,
      after: { purpose: input.purpose, consentIds: withdrawn.map((c) => c.id), guardianId: input.guardianId ?? null, remindersWithdrawn },
    });
    return { purpose: input.purpose, withdrawnAt: now, consentIds: withdrawn.map((c) => c.id), remindersWithdrawn };
  });
}

/** Reminders not yet sent about the patient (or to the named guardian) are withdrawn. */
async function withdrawPendingReminders(ctx: DomainContext, patientId: number, guardianId: number | undefined): Promise<number> {
  const result = await ctx.db
    .updateTable('notifications')
    .set({ state: 'cancelled', last_error: 'messaging consent withdrawn' })
    .where('kind', '=', 'reminder')
    .where('state', '=', 'pending')
    .where((eb) =>
      eb.or([
        eb('appointment_id', 'in', eb.selectFrom('appointments').select('id').where('patient_id', '=', patientId)),
        ...(guardianId !== undefined ? [eb('guardian_id', '=', guardianId)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
