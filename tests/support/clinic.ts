import type { Kysely } from 'kysely';
import type { DomainContext } from '../../src/domain/context.js';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addTherapist } from '../../src/domain/people/therapists.js';
import { requireServiceByCode } from '../../src/domain/scheduling/services.js';
import { generateSlots } from '../../src/domain/scheduling/slots.js';
import { parseWeeklyHours, setWorkingHours } from '../../src/domain/scheduling/working-hours.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { systemClock, type Clock } from '../../src/infra/clock.js';
import type { DB } from '../../src/infra/db/schema.js';

export function systemContext(db: Kysely<DB>, clock: Clock = systemClock): DomainContext {
  return { db, clock, timezone: 'Asia/Kolkata', actor: { kind: 'system' } };
}

/**
 * A small clinic for scenarios: a speech therapist and a physiotherapist working every day
 * 09:00–13:00 (45-minute slots every hour), some patients, and slots for the next `days` days.
 */
export async function seedClinic(ctx: DomainContext, options: { patients?: number; days?: number } = {}) {
  await saveClinicSettings(ctx, { name: 'Sunrise Child Therapy', upiVpa: 'sunrise@okaxis' });
  const speech = await addTherapist(ctx, { fullName: 'Dr. Priya Sharma', specializations: ['slp'] });
  const physio = await addTherapist(ctx, { fullName: 'Meera Iyer', specializations: ['pt'] });
  for (const therapist of [speech, physio]) {
    await setWorkingHours(ctx, { therapistId: therapist.id, blocks: parseWeeklyHours('mon-sun 09:00-13:00') });
  }
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  await generateSlots(ctx, { from: today, to: addDays(today, (options.days ?? 10) - 1) });
  const patients = [];
  for (let i = 1; i <= (options.patients ?? 4); i++) {
    patients.push(await addPatient(ctx, { fullName: `Patient ${String(i).padStart(3, '0')}`, phone: `+9198${String(10000000 + i)}` }));
  }
  return {
    speech,
    physio,
    patients,
    speechService: await requireServiceByCode(ctx, 'speech-therapy'),
    physioService: await requireServiceByCode(ctx, 'physiotherapy'),
    groupService: await requireServiceByCode(ctx, 'group-social-skills'),
  };
}

/** The therapist's slots starting on a clinic date, earliest first. */
export async function slotsOn(ctx: DomainContext, therapistId: number, date: string) {
  const rows = await ctx.db.selectFrom('appointment_slots').selectAll().where('therapist_id', '=', therapistId).orderBy('starts_at').execute();
  return rows.filter((s) => clinicDate(s.starts_at, ctx.timezone) === date);
}
