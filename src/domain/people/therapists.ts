import { sql } from 'kysely';
import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, translateConstraintError } from '../errors.js';
import { authorize } from '../policy.js';
import { LIVE_STATUSES } from '../scheduling/appointment-lifecycle.js';
import { weekdayName, weeklyHours, type WeeklyBlock } from '../scheduling/working-hours.js';
import { emailAddress, personName } from './contact-details.js';
import { messagingPhone } from './phone.js';
import { findStaffUserByUsername } from './staff.js';

export const specializationCodes = z.array(z.string().trim().toLowerCase().min(1)).min(1, 'must name at least one specialization, e.g. slp, ot or pt');

export const therapistInput = z.object({
  fullName: personName,
  specializations: specializationCodes,
  phone: messagingPhone.optional(),
  email: emailAddress.optional(),
  /** The staff user who logs in as this therapist: by id, or by username from the CLI. */
  staffUserId: z.number().int().positive().optional(),
  staffUsername: z.string().trim().toLowerCase().min(1).optional(),
  bio: z.string().trim().max(1000).optional(),
});
export type TherapistInput = z.input<typeof therapistInput>;

/** Refuses codes that are not in the clinic's list of specializations, naming the ones that are. */
export async function requireSpecializations(ctx: DomainContext, codes: readonly string[]): Promise<void> {
  const all = await ctx.db.selectFrom('specializations').select('code').orderBy('code').execute();
  const unknown = codes.filter((code) => !all.some((s) => s.code === code));
  if (unknown.length) {
    throw new InvalidInputError(`Unknown specialization ${unknown.join(', ')}. Known: ${all.map((s) => s.code).join(', ')}.`);
  }
}

async function requireLinkableStaffUser(ctx: DomainContext, input: z.infer<typeof therapistInput>) {
  const user = input.staffUsername
    ? await findStaffUserByUsername(ctx, input.staffUsername)
    : await ctx.db.selectFrom('staff_users').selectAll().where('id', '=', input.staffUserId!).executeTakeFirst();
  if (!user) throw new NotFoundError(`No staff user ${input.staffUsername ?? `with id ${input.staffUserId}`}.`);
  if (!user.active) throw new ConflictError(`The staff user ${user.username} is deactivated.`);
  return user;
}

export async function addTherapist(ctx: DomainContext, raw: TherapistInput) {
  authorize(ctx.actor, 'therapist.manage');
  const input = parseInput(therapistInput, raw);
  const specializations = [...new Set(input.specializations)].sort();
  return inTransaction(ctx, async (tx) => {
    await requireSpecializations(tx, specializations);
    const user = input.staffUsername || input.staffUserId ? await requireLinkableStaffUser(tx, input) : undefined;
    const therapist = await tx.db
      .insertInto('therapists')
      .values({
        full_name: input.fullName,
        phone: input.phone ?? null,
        email: input.email ?? null,
        staff_user_id: user?.id ?? null,
        bio: input.bio ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error) =>
        translateConstraintError(error, {
          therapists_staff_user_id_key: () => new ConflictError(`The staff user ${user!.username} is already linked to another therapist.`),
        }),
      );
    await tx.db
      .insertInto('therapist_specializations')
      .values(specializations.map((code) => ({ therapist_id: therapist.id, specialization_code: code })))
      .execute();
    await recordAudit(tx, {
      action: 'therapist.add',
      entity: 'therapist',
      entityId: therapist.id,
      after: { specializations, staffUserId: therapist.staff_user_id },
    });
    return { ...therapist, specializations, username: user?.username ?? null };
  });
}

function therapistRows(ctx: DomainContext) {
  return ctx.db
    .selectFrom('therapists as t')
    .leftJoin('therapist_specializations as ts', 'ts.therapist_id', 't.id')
    .leftJoin('staff_users as u', 'u.id', 't.staff_user_id')
    .select(['t.id', 't.full_name', 't.active', 't.staff_user_id', 't.phone', 't.email', 'u.username'])
    .select(
      sql<string[]>`coalesce(array_agg(ts.specialization_code ORDER BY ts.specialization_code)
      FILTER (WHERE ts.specialization_code IS NOT NULL), '{}')`.as('specializations'),
    )
    .groupBy(['t.id', 'u.username']);
}

export async function listTherapists(ctx: DomainContext, options: { includeInactive?: boolean } = {}) {
  authorize(ctx.actor, 'schedule.read');
  return therapistRows(ctx)
    .$if(!options.includeInactive, (qb) => qb.where('t.active', '=', true))
    .orderBy('t.full_name')
    .execute();
}

function upcomingAppointments(ctx: DomainContext, therapistId: number) {
  return ctx.db
    .selectFrom('appointments as a')
    .where('a.therapist_id', '=', therapistId)
    .where('a.status', 'in', LIVE_STATUSES)
    .where('a.starts_at', '>=', ctx.clock.now());
}

/** Weekly hours as people say them: "Mon–Fri 09:00–13:00, 14:00–18:00" and "Sat 09:00–13:00". */
export function summarizeWeeklyHours(blocks: WeeklyBlock[]): string[] {
  const byDay = new Map<number, string>();
  for (const b of [...blocks].sort((x, y) => x.weekday - y.weekday || x.start.localeCompare(y.start))) {
    const hours = `${b.start}–${b.end}`;
    byDay.set(b.weekday, byDay.has(b.weekday) ? `${byDay.get(b.weekday)}, ${hours}` : hours);
  }
  const runs: Array<{ from: number; to: number; hours: string }> = [];
  for (const [day, hours] of byDay) {
    const last = runs.at(-1);
    if (last && last.to === day - 1 && last.hours === hours) last.to = day;
    else runs.push({ from: day, to: day, hours });
  }
  return runs.map((r) => `${weekdayName(r.from)}${r.to > r.from ? `–${weekdayName(r.to)}` : ''} ${r.hours}`);
}

/** One therapist as the desk sees them: specializations, weekly hours and how busy they are. */
export async function therapistProfile(ctx: DomainContext, therapistId: number) {
  authorize(ctx.actor, 'schedule.read');
  const therapist = await therapistRows(ctx).where('t.id', '=', therapistId).executeTakeFirst();
  if (!therapist) throw new NotFoundError(`No therapist with id ${therapistId}.`);
  const [[week], upcoming] = await Promise.all([
    weeklyHours(ctx, { therapistId }),
    upcomingAppointments(ctx, therapistId)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow(),
  ]);
  const workingHours = week?.blocks ?? [];
  return { ...therapist, workingHours, hoursSummary: summarizeWeeklyHours(workingHours), upcomingAppointments: upcoming.count };
}

/** A therapist's row, then their future slots, locked: a booking in flight finishes before we look for their appointments. */
async function lockTherapistAndFutureSlots(ctx: DomainContext, therapistId: number) {
  const therapist = await ctx.db.selectFrom('therapists').select(['id', 'full_name', 'active']).where('id', '=', therapistId).forUpdate().executeTakeFirst();
  if (!therapist) throw new NotFoundError(`No therapist with id ${therapistId}.`);
  await ctx.db
    .selectFrom('appointment_slots')
    .select('id')
    .where('therapist_id', '=', therapist.id)
    .where('starts_at', '>=', ctx.clock.now())
    .orderBy('id')
    .forUpdate()
    .execute();
  return therapist;
}

const deactivateInput = z.object({ therapistId: z.number().int().positive(), force: z.boolean().default(false) });

/**
 * Stops new bookings with a therapist. Their upcoming appointments stay as they are: without `force`
 * they block the change, with it they are returned so the desk can move or cancel them.
 */
export async function deactivateTherapist(ctx: DomainContext, raw: z.input<typeof deactivateInput>) {
  authorize(ctx.actor, 'therapist.manage');
  const input = parseInput(deactivateInput, raw);
  return inTransaction(ctx, async (tx) => {
    const therapist = await lockTherapistAndFutureSlots(tx, input.therapistId);
    const appointments = await upcomingAppointments(tx, therapist.id)
      .innerJoin('patients as p', 'p.id', 'a.patient_id')
      .innerJoin('services as s', 's.id', 'a.service_id')
      .select(['a.id', 'a.appointment_number', 'a.starts_at', 'a.status', 'a.patient_id'])
      .select(['p.full_name as patient_name', 's.name as service_name'])
      .orderBy('a.starts_at')
      .execute();
    if (!therapist.active) return { therapist, deactivated: false, appointments };
    if (appointments.length && !input.force) {
      const numbers = appointments
        .slice(0, 5)
        .map((a) => a.appointment_number)
        .join(', ');
      throw new ConflictError(
        `${therapist.full_name} has ${appointments.length} upcoming appointment(s) (${numbers}${appointments.length > 5 ? ', …' : ''}); ` +
          'move or cancel them first, or pass --force to deactivate anyway and list them.',
        { reason: 'upcoming_appointments', appointments: appointments.length },
      );
    }
    await tx.db.updateTable('therapists').set({ active: false }).where('id', '=', therapist.id).execute();
    await recordAudit(tx, {
      action: 'therapist.deactivate',
      entity: 'therapist',
      entityId: therapist.id,
      before: { active: true },
      after: { active: false },
      meta: { forced: input.force, upcomingAppointmentIds: appointments.map((a) => a.id) },
    });
    return { therapist: { ...therapist, active: false }, deactivated: true, appointments };
  });
}
