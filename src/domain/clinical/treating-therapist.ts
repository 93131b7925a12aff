import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { requireLivePatient } from '../people/live-patient.js';
import { authorize } from '../policy.js';

// A therapist's own patients, whose clinical records she may see and write: those the desk or an admin
// assigned to her, and those she has seen (a session of hers completed, or under way). A booking alone
// opens nothing: anyone at the desk, or a family's chat, can make one. Row security keeps the same rule
// (roshni_treats, migration 0017).

export async function treatsPatient(ctx: DomainContext, therapistId: number, patientId: number): Promise<boolean> {
  const { treats } = await ctx.db
    .selectNoFrom((eb) => {
      const assigned = eb.selectFrom('patient_therapists').select('patient_id').where('therapist_id', '=', therapistId).where('patient_id', '=', patientId);
      const seen = eb
        .selectFrom('appointments')
        .select('id')
        .where('therapist_id', '=', therapistId)
        .where('patient_id', '=', patientId)
        .where('status', 'in', ['in_progress', 'completed']);
      return eb.or([eb.exists(assigned), eb.exists(seen)]).as('treats');
    })
    .executeTakeFirstOrThrow();
  return Boolean(treats);
}

const assignInput = z.object({
  patientId: z.number().int().positive(),
  therapistId: z.number().int().positive(),
  remove: z.boolean().default(false),
});

/** The desk or an admin makes (or, with `remove`, ends) a therapist's care of a patient. */
export async function assignTherapist(ctx: DomainContext, raw: z.input<typeof assignInput>) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(assignInput, raw);
  return inTransaction(ctx, async (tx) => {
    await requireLivePatient(tx, input.patientId);
    const changed = input.remove
      ? (
          await tx.db
            .deleteFrom('patient_therapists')
            .where('patient_id', '=', input.patientId)
            .where('therapist_id', '=', input.therapistId)
            .executeTakeFirst()
        ).numDeletedRows > 0n
      : (
          await tx.db
            .insertInto('patient_therapists')
            .values({
              patient_id: input.patientId,
              therapist_id: input.therapistId,
              assigned_by_staff_id: tx.actor.kind === 'staff' ? tx.actor.staffUserId : null,
              assigned_at: tx.clock.now(),
            })
            .onConflict((oc) => oc.doNothing())
            .executeTakeFirst()
        ).numInsertedOrUpdatedRows! > 0n;
    if (changed) {
      await recordAudit(tx, {
        action: input.remove ? 'patient.unassign' : 'patient.assign',
        entity: 'patient',
        entityId: input.patientId,
        patientId: input.patientId,
        after: { therapistId: input.therapistId },
      });
    }
    return { changed };
  });
}
