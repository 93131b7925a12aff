import { addDays, clinicDate, isoWeekdayOf, zonedInstant } from '../time.js';
import { DEMO_CASELOAD, DEMO_POLICY_FEES, type DemoCaseload } from './demo-clinic.js';
import type { Rng } from './demo-random.js';
import { CANCEL_EARLY, CANCEL_LATE } from './demo-wording.js';
import { HOUR, later, MINUTE, type HistoryScene, type PlannedAppointment } from './history-model.js';
import type { PastPeople } from './history-people.js';

/** Weekdays (ISO) a patient comes on, spread over the week. */
function weekdaysFor(rng: Rng, perWeek: number, saturday: boolean): number[] {
  const patterns: Record<number, number[][]> = {
    1: [[1], [2], [3], [4], [5], ...(saturday ? [[6]] : [])],
    2: [[1, 4], [2, 5], [1, 3], [3, 5], [2, 4], ...(saturday ? [[3, 6]] : [])],
    3: [
      [1, 3, 5],
      [2, 4, 5],
      [1, 2, 4],
    ],
  };
  return rng.pick(patterns[perWeek] ?? patterns[2]!);
}

/** The therapists' staff accounts, by therapist id: who completed a session. */
export type TherapistAccounts = Map<number, number>;

/**
 * The timetable: each patient on the same weekdays at about the same time, in the past's slots, and what
 * became of each session. Ordered as booked, the order the clinic numbered them.
 */
export async function planAppointments(
  scene: HistoryScene,
  therapistIds: Map<string, number>,
  therapistAccounts: TherapistAccounts,
  people: PastPeople,
): Promise<PlannedAppointment[]> {
  const { ctx, rng, tz, from, today, service } = scene;
  const slotRows = await ctx.db
    .selectFrom('appointment_slots')
    .select(['id', 'therapist_id', 'starts_at', 'ends_at'])
    .where('starts_at', '>=', zonedInstant(from, '00:00', tz))
    .where('starts_at', '<', zonedInstant(today, '00:00', tz))
    .orderBy('starts_at')
    .execute();
  const slotsByDay = new Map<string, typeof slotRows>();
  for (const s of slotRows) {
    const key = `${s.therapist_id}|${clinicDate(s.starts_at, tz)}`;
    slotsByDay.set(key, [...(slotsByDay.get(key) ?? []), s]);
  }
  const firstWeek = (plan: DemoCaseload) => (plan.from === 'before' ? 0 : plan.from);
  const taken = new Set<number>();
  const appointments: PlannedAppointment[] = [];
  for (const plan of DEMO_CASELOAD) {
    const therapistId = therapistIds.get(plan.therapist)!;
    const therapistUser = { id: therapistAccounts.get(therapistId)!, role: 'therapist' as const };
    const registered = people.registered.get(plan.patient)!;
    const weekdays = weekdaysFor(rng, plan.perWeek, plan.therapist !== 'meera.pt');
    const slotIndex = rng.int(0, 7);
    let first = plan.from !== 'before';
    for (let week = firstWeek(plan); week < plan.until; week++) {
      for (let d = 0; d < 7; d++) {
        const date = addDays(from, week * 7 + d);
        if (!weekdays.includes(isoWeekdayOf(date))) continue;
        const day = slotsByDay.get(`${therapistId}|${date}`) ?? [];
        const free = [...day.slice(slotIndex % Math.max(day.length, 1)), ...day].find((s) => !taken.has(s.id));
        if (!free) continue;
        taken.add(free.id);
        const code = first ? 'initial-assessment' : plan.service;
        first = false;
        const sv = service(code);
        // Booked at the desk some days ahead, on a day it is open (not a Sunday).
        const bookedOn = addDays(date, -rng.int(3, 10));
        const createdAt = zonedInstant(
          isoWeekdayOf(bookedOn) === 7 ? addDays(bookedOn, -1) : bookedOn,
          `${rng.int(10, 17)}:${String(rng.int(0, 59)).padStart(2, '0')}`,
          tz,
        );
        appointments.push({
          patientId: people.patientIds.get(plan.patient)!,
          therapistId,
          therapistUser,
          serviceId: sv.id,
          serviceCode: code,
          slotId: free.id,
          startsAt: free.starts_at,
          endsAt: later(free.starts_at, sv.duration_minutes * MINUTE),
          pricePaise: sv.price_paise,
          createdAt: createdAt < registered ? later(registered, 5 * MINUTE) : createdAt,
          outcome: 'completed',
          doneAt: free.starts_at,
          paymentStatus: 'pending',
          policyFee: null,
          plan,
        });
      }
    }
  }
  decideOutcomes(scene, appointments);
  return appointments.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.startsAt.getTime() - b.startsAt.getTime());
}

/** What became of each: about 85% of the sessions due were attended; one was cancelled by the clinic after it was paid for. */
function decideOutcomes(scene: HistoryScene, appointments: PlannedAppointment[]): void {
  const { rng, tz, today } = scene;
  const refundAround = zonedInstant(addDays(today, -40), '12:00', tz).getTime();
  const refundCase = appointments
    .filter((a) => a.plan.patient === 'rohan' && a.serviceCode === 'physiotherapy')
    .sort((a, b) => Math.abs(a.startsAt.getTime() - refundAround) - Math.abs(b.startsAt.getTime() - refundAround))[0];
  for (const a of appointments) {
    const r = rng.next();
    if (a === refundCase) {
      // Booked and paid for at the desk after a session; the clinic cancelled it two days ahead.
      a.outcome = 'clinic_cancel';
      a.doneAt = zonedInstant(addDays(clinicDate(a.startsAt, tz), -2), '17:30', tz);
      a.reason = 'Meera Iyer at a training workshop: cancelled by the clinic';
    } else if (a.serviceCode === 'initial-assessment' || r >= 0.19) {
      a.outcome = 'completed';
      a.doneAt = later(a.endsAt, rng.int(1, 8) * MINUTE);
    } else if (r < 0.08) {
      a.outcome = 'no_show';
      a.doneAt = later(a.startsAt, rng.int(15, 25) * MINUTE);
      a.policyFee = DEMO_POLICY_FEES.noShowFeePaise;
    } else if (r < 0.14) {
      a.outcome = 'late_cancel';
      a.doneAt = later(a.startsAt, -rng.int(2, 20) * HOUR);
      a.reason = rng.pick(CANCEL_LATE);
      a.policyFee = DEMO_POLICY_FEES.lateCancelFeePaise;
    } else {
      a.outcome = 'cancel';
      a.doneAt = later(a.startsAt, -rng.int(26, 70) * HOUR);
      a.reason = rng.pick(CANCEL_EARLY);
    }
    if (a.doneAt <= a.createdAt) a.createdAt = later(a.doneAt, -rng.int(2, 5) * 24 * HOUR);
  }
  if (refundCase) {
    const visits = appointments.filter(
      (a) => a.patientId === refundCase.patientId && a.outcome === 'completed' && a.doneAt.getTime() < refundCase.doneAt.getTime() - HOUR,
    );
    const previous = visits.sort((a, b) => b.doneAt.getTime() - a.doneAt.getTime())[0];
    refundCase.createdAt = previous ? later(previous.doneAt, 3 * MINUTE) : later(refundCase.doneAt, -3 * 24 * HOUR);
  }
}
