import { addDays, clinicDate, zonedInstant } from '../time.js';
import { DEMO_CASELOAD, DEMO_GOALS } from './demo-clinic.js';
import { NOTES } from './demo-wording.js';
import { later, MINUTE, type HistoryScene, type PlannedAppointment } from './history-model.js';
import { insertRows } from './insert-rows.js';

/**
 * The clinical record of the past: session notes for every session attended but for a few of the last two
 * days (still due), and goals set at a patient's first session seen, measured every other session after.
 */
export async function writeClinicalRecords(
  scene: HistoryScene,
  appointments: readonly PlannedAppointment[],
  patientIds: Map<string, number>,
  therapistIds: Map<string, number>,
  opening: Date,
) {
  const { ctx, rng, tz, today } = scene;
  const notesDueFrom = zonedInstant(addDays(today, -2), '00:00', tz);
  const noted = appointments.filter((a) => a.outcome === 'completed' && !(a.startsAt >= notesDueFrom && rng.chance(0.5)));
  noted.sort((a, b) => a.doneAt.getTime() - b.doneAt.getTime());
  const notes = noted.map((a) => {
    const words = NOTES[a.serviceCode]!;
    return {
      appointment: a,
      writtenAt: later(a.doneAt, rng.int(10, 90) * MINUTE),
      attendance: rng.chance(0.08) ? ('late' as const) : ('present' as const),
      rating: a.serviceCode === 'initial-assessment' ? null : rng.pick([3, 4, 4, 4, 5, 5]),
      objectives: rng.pick(words.objectives),
      activities: rng.pick(words.activities),
      observations: rng.pick(words.observations),
      progressNotes: rng.pick(words.progress),
      homework: rng.pick(words.homework),
      nextPlan: rng.pick(words.next),
    };
  });
  const noteRows = await insertRows(
    ctx,
    'therapy_sessions',
    notes.map((n) => ({
      appointment_id: n.appointment.id!,
      patient_id: n.appointment.patientId,
      therapist_id: n.appointment.therapistId,
      objectives: n.objectives,
      activities: n.activities,
      observations: n.observations,
      progress_notes: n.progressNotes,
      homework: n.homework,
      next_plan: n.nextPlan,
      attendance: n.attendance,
      rating: n.rating,
      created_at: n.writtenAt,
      updated_at: n.writtenAt,
    })),
    ['id', 'appointment_id'],
  );
  const sessionIds = new Map(noteRows.map((r) => [r.appointment_id as number, r.id as number]));

  const goals = DEMO_GOALS.map((g) => {
    const sessions = notes.filter((n) => n.appointment.patientId === patientIds.get(g.patient));
    const plan = DEMO_CASELOAD.find((c) => c.patient === g.patient)!;
    const first = sessions[0];
    return { goal: g, plan, sessions, setAt: first ? later(first.writtenAt, 2 * MINUTE) : opening, therapistId: therapistIds.get(plan.therapist)! };
  }).filter((g) => g.sessions.length > 1);
  const goalRows = await insertRows(
    ctx,
    'goals',
    goals.map((g) => ({
      patient_id: patientIds.get(g.goal.patient)!,
      therapist_id: g.therapistId,
      specialization_code: g.plan.service === 'speech-therapy' ? 'slp' : g.plan.service === 'occupational-therapy' ? 'ot' : 'pt',
      description: g.goal.description,
      unit: g.goal.unit,
      baseline_value: g.goal.baseline,
      target_value: g.goal.target,
      status: g.goal.reached >= 1 ? 'achieved' : 'active',
      target_on: addDays(clinicDate(g.setAt, tz), 120),
      created_at: g.setAt,
      updated_at: g.setAt,
    })),
    ['id'],
  );
  const measurements = goals.flatMap((g, i) => {
    const goalId = goalRows[i]!.id as number;
    const points = g.sessions.filter((_, n) => n % 2 === 0 || n === g.sessions.length - 1);
    const step = g.goal.unit === '%' ? 5 : 1;
    return points.map((n, k) => {
      const share =
        k === 0 ? 0 : Math.max(0, Math.min(1, g.goal.reached * (k / (points.length - 1)) ** 0.85 + (k === points.length - 1 ? 0 : (rng.next() - 0.5) * 0.08)));
      const value = Math.round((g.goal.baseline + (g.goal.target - g.goal.baseline) * share) / step) * step;
      return { goalId, goal: g, session: n, value, at: later(n.writtenAt, MINUTE) };
    });
  });
  const measurementRows = await insertRows(
    ctx,
    'goal_measurements',
    measurements.map((m) => ({
      goal_id: m.goalId,
      therapy_session_id: sessionIds.get(m.session.appointment.id!)!,
      measured_on: clinicDate(m.session.appointment.startsAt, tz),
      value: m.value,
      created_at: m.at,
    })),
    ['id'],
  );
  return {
    notes,
    sessionIds,
    goals: goals.map((g, i) => ({ ...g, id: goalRows[i]!.id as number })),
    measurements: measurements.map((m, i) => ({ ...m, id: measurementRows[i]!.id as number })),
  };
}
