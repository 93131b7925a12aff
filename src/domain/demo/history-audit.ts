import { TEXT_FIELDS } from '../clinical/session-notes.js';
import { clinicDate } from '../time.js';
import type { writeClinicalRecords } from './history-clinical.js';
import { MINUTE, later, type HistoryScene, type PlannedAppointment, type PlannedPackage, type PlannedPayment } from './history-model.js';
import { insertRows } from './insert-rows.js';

type ClinicalRecords = Awaited<ReturnType<typeof writeClinicalRecords>>;

/**
 * The audit entries the domain writes with each appointment, payment, session note and goal of the past,
 * added after those the scene already holds; then all of them written in the order they happened.
 */
export async function writeAudit(
  scene: HistoryScene,
  appointments: readonly PlannedAppointment[],
  payments: readonly PlannedPayment[],
  packageByKey: Map<string, PlannedPackage>,
  { notes, sessionIds, goals, measurements }: ClinicalRecords,
  patientIds: Map<string, number>,
): Promise<void> {
  const { ctx, tz, desk, admin, audit } = scene;
  const noteFields = TEXT_FIELDS.filter((f) => f !== 'materials' && f !== 'patientResponse');
  for (const a of appointments) {
    const patientId = a.patientId;
    audit.push({
      at: a.createdAt,
      actor: desk,
      action: 'appointment.book',
      entity: 'appointment',
      entityId: () => a.id!,
      patientId,
      after: () => ({ status: 'scheduled', slotId: a.slotId, serviceId: a.serviceId, via: 'cli' }),
    });
    const status = a.outcome === 'completed' ? 'completed' : a.outcome === 'no_show' ? 'no_show' : 'cancelled';
    const actor = a.outcome === 'completed' ? a.therapistUser : a.outcome === 'clinic_cancel' ? admin : desk;
    audit.push({
      at: a.doneAt,
      actor,
      action: `appointment.${status}`,
      entity: 'appointment',
      entityId: () => a.id!,
      patientId,
      before: { status: 'scheduled' },
      after: () => ({ status, ...(a.outcome === 'late_cancel' ? { lateCancellation: true } : {}) }),
    });
    if (a.policyFee) {
      audit.push({
        at: a.doneAt,
        actor,
        action: 'appointment.policy_charge',
        entity: 'appointment',
        entityId: () => a.id!,
        patientId,
        after: () => ({ missed: a.outcome === 'no_show' ? 'no_show' : 'late_cancellation', kind: 'fee', feePaise: a.policyFee }),
      });
    }
    if (a.packageKey) {
      const pkg = packageByKey.get(a.packageKey)!;
      audit.push({
        at: a.doneAt,
        actor,
        action: 'package.draw',
        entity: 'patient_package',
        entityId: () => pkg.id!,
        patientId,
        after: () => ({ appointmentId: a.id, reason: 'session' }),
      });
    }
  }
  for (const p of payments) {
    audit.push({
      at: p.paidAt,
      actor: p.staff,
      action: 'payment.complete',
      entity: 'payment',
      entityId: () => p.id!,
      patientId: p.patientId,
      after: () => ({ method: p.method, amountPaise: p.amountPaise, paymentStatus: p.appointment ? 'paid' : null, receipt: p.receipt }),
    });
    if (p.packageKey) {
      const pkg = packageByKey.get(p.packageKey)!;
      audit.push({
        at: p.paidAt,
        actor: desk,
        action: 'package.sell',
        entity: 'patient_package',
        entityId: () => pkg.id!,
        patientId: p.patientId,
        after: () => ({ planId: pkg.planId, sessions: pkg.sessions, method: p.method }),
      });
    }
  }
  for (const n of notes) {
    audit.push({
      at: n.writtenAt,
      actor: n.appointment.therapistUser,
      action: 'clinical.notes_add',
      entity: 'therapy_session',
      entityId: () => sessionIds.get(n.appointment.id!)!,
      patientId: n.appointment.patientId,
      after: () => ({ appointmentId: n.appointment.id, fields: noteFields, attendance: n.attendance, rating: n.rating }),
    });
  }
  for (const g of goals) {
    const { id } = g;
    const actor = g.sessions[0]!.appointment.therapistUser;
    const patientId = patientIds.get(g.goal.patient)!;
    audit.push({
      at: g.setAt,
      actor,
      action: 'clinical.goal_add',
      entity: 'goal',
      entityId: () => id,
      patientId,
      after: () => ({ therapistId: g.therapistId, unit: g.goal.unit, baseline: g.goal.baseline, target: g.goal.target }),
    });
    if (g.goal.reached >= 1) {
      const last = measurements.filter((m) => m.goalId === id).at(-1)!;
      audit.push({
        at: later(last.at, MINUTE),
        actor,
        action: 'clinical.goal_status',
        entity: 'goal',
        entityId: () => id,
        patientId,
        before: { status: 'active' },
        after: () => ({ status: 'achieved' }),
      });
    }
  }
  for (const m of measurements) {
    audit.push({
      at: m.at,
      actor: m.session.appointment.therapistUser,
      action: 'clinical.goal_measure',
      entity: 'goal',
      entityId: () => m.goalId,
      patientId: m.session.appointment.patientId,
      after: () => ({ measurementId: m.id, value: m.value, measuredOn: clinicDate(m.session.appointment.startsAt, tz) }),
    });
  }
  audit.sort((a, b) => a.at.getTime() - b.at.getTime());
  await insertRows(
    ctx,
    'audit_log',
    audit.map((e) => {
      const after = e.after?.() ?? null;
      const entityId = e.entityId();
      return {
        actor_kind: e.actor ? 'staff' : 'system',
        actor_id: e.actor?.id ?? null,
        actor_role: e.actor?.role ?? 'system',
        at: e.at,
        action: e.action,
        entity: e.entity,
        entity_id: entityId === null ? null : String(entityId),
        patient_id: e.patientId,
        outcome: 'ok',
        before: e.before ?? null,
        after,
        meta: null,
      };
    }),
  );
}
