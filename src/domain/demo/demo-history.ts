import { sql, type Insertable } from 'kysely';
import type { AuditLog, DB } from '../../infra/db/schema.js';
import { fixedClock } from '../../infra/clock.js';
import { addPackagePlan } from '../billing/packages.js';
import { issueCreditNote, type ReceiptSnapshot } from '../billing/receipts.js';
import { requireClinicSettings } from '../clinic/settings.js';
import { updateClinicPolicies } from '../clinic/policies.js';
import type { DomainContext } from '../context.js';
import { TEXT_FIELDS } from '../clinical/session-notes.js';
import { generateSlots } from '../scheduling/slots.js';
import { addDays, clinicDate, isoWeekdayOf, zonedInstant } from '../time.js';
import { DEMO_CASELOAD, DEMO_GOALS, DEMO_HISTORY_PATIENTS, DEMO_PACKAGE_PLANS, DEMO_POLICY_FEES, type DemoCaseload, type DemoMethod } from './demo-clinic.js';

// The demo's past: thirteen weeks of sessions before the day `roshni demo` runs (attended, missed,
// cancelled), their payments and receipts, package sales and draws, one refund with its credit note,
// session notes, goals measured over the weeks, and the audit entries the domain writes for each.
//
// Made in bulk, in the demo's transaction: the rows are worked out here (a seeded generator, so the same
// day gives the same past) and written a table at a time, as the domain functions would have written
// them one by one (bookAppointment, completeAppointment, markNoShow, cancelAppointment with its policy
// charge, recordManualPayment and completePayment, sellPackage and drawFromPackage, refundPayment,
// addSessionNotes, addGoal and measureGoal). Left out: the messages those would have queued (the
// outbox of a past that was sent long ago), Razorpay's webhook events, and assessment forms.

export const HISTORY_WEEKS = 13;
export const HISTORY_DAYS = HISTORY_WEEKS * 7;

export interface DemoHistory {
  from: string;
  to: string;
  patients: number;
  appointments: number;
  attended: number;
  noShows: number;
  lateCancellations: number;
  payments: number;
  refunds: number;
  sessionNotes: number;
  goalMeasurements: number;
}

/** mulberry32: a small seeded generator, so the demo's past is the same on every run of the same day. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
    token: (length: number) => Array.from({ length }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789'[Math.floor(next() * 58)]).join(''),
  };
}
type Rng = ReturnType<typeof generator>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const later = (at: Date, ms: number) => new Date(at.getTime() + ms);

/** Session note wording per kind of session: a line of each picked at random. */
const NOTES: Record<string, { objectives: string[]; activities: string[]; observations: string[]; progress: string[]; homework: string[]; next: string[] }> = {
  'speech-therapy': {
    objectives: ['Target sounds in words and short phrases', 'Expand phrases during play', 'Listening and following instructions'],
    activities: [
      'Picture cards, sound bingo',
      'Pretend play with the kitchen set; modelling two-word phrases',
      'Storybook retell with picture prompts',
      'Barrier game with coloured blocks',
    ],
    observations: [
      'Attentive for most of the session',
      'Needed breaks after 20 minutes',
      'Self-corrected twice without prompting',
      'Shy at first, warmed up with play',
    ],
    progress: ['Accuracy up on last week', 'Steady; consolidating', 'Better carry-over into conversation', 'Fewer prompts needed'],
    homework: ['Five minutes of sound practice daily with the word list', 'Name pictures in the storybook at bedtime', 'Practise requests at mealtimes'],
    next: ['Move to sentence level', 'Continue at word level', 'Add a new target sound', 'Review with parent at the next session'],
  },
  'occupational-therapy': {
    objectives: ['Fine motor control for dressing', 'Pencil grip and shape copying', 'Sensory regulation before table work'],
    activities: [
      'Buttoning board, threading beads',
      'Theraputty, tracing shapes',
      'Swing and obstacle course, then table tasks',
      'Scissor skills along thick lines',
    ],
    observations: [
      'Settled quickly after movement breaks',
      'Grip tiring towards the end',
      'Good attention with visual schedule',
      'Frustrated with small buttons, persisted',
    ],
    progress: ['Faster than last week', 'More independent; fewer cues', 'Consistent tripod grip in most attempts', 'Steady'],
    homework: ['Practise buttons on the school shirt every morning', 'Playdough 10 minutes a day', 'Colouring inside lines, two pages a day'],
    next: ['Smaller buttons', 'Copy triangle and diamond', 'Introduce the handwriting programme', 'Continue the sensory diet'],
  },
  physiotherapy: {
    objectives: ['Range of motion and strength', 'Balance and walking', 'Pain relief and posture'],
    activities: [
      'Heel slides, quadriceps sets, static cycling',
      'Balance board, sit-to-stand practice',
      'Mobilisation, core strengthening',
      'Gait training with a stick',
    ],
    observations: ['Mild pain at end range, settled with ice', 'Good effort throughout', 'Needed rest between sets', 'Walking more confidently'],
    progress: ['Range improved by a few degrees', 'Less pain on stairs reported', 'Balance steadier', 'Steady'],
    homework: ['Home exercise sheet twice a day', 'Walk 15 minutes morning and evening', 'Ice after exercises; posture breaks at work'],
    next: ['Progress resistance', 'Add step-ups', 'Reduce to once a week if progress holds', 'Review the home programme'],
  },
  'initial-assessment': {
    objectives: ['Initial assessment and goal setting'],
    activities: ['History from the family, standardised screening, observation in play or movement'],
    observations: ['Findings shared with the family; goals agreed', 'Family keen to start; reports and school notes reviewed'],
    progress: ['Baseline recorded'],
    homework: ['Start the home programme handed over today'],
    next: ['Weekly sessions as agreed'],
  },
};

const CANCEL_LATE = ['Child unwell since the morning', 'Family emergency', 'Stuck at work', 'Fever overnight'];
const CANCEL_EARLY = ['Travelling for a family wedding', 'Exams at school this week', 'Out of town', 'Clashes with a doctor’s appointment'];

interface Staff {
  id: number;
  role: 'admin' | 'receptionist' | 'therapist';
}

interface PlannedAppointment {
  patientId: number;
  therapistId: number;
  therapistUser: Staff;
  serviceId: number;
  serviceCode: string;
  slotId: number;
  startsAt: Date;
  endsAt: Date;
  pricePaise: number;
  createdAt: Date;
  outcome: 'completed' | 'no_show' | 'late_cancel' | 'cancel' | 'clinic_cancel';
  doneAt: Date;
  reason?: string;
  paymentStatus: 'pending' | 'paid' | 'refunded';
  policyFee: number | null;
  packageKey?: string;
  plan: DemoCaseload;
  id?: number;
  number?: string;
}

interface PlannedPayment {
  patientId: number;
  appointment?: PlannedAppointment;
  packageKey?: string;
  amountPaise: number;
  method: DemoMethod;
  createdAt: Date;
  paidAt: Date;
  utr: string | null;
  razorpay: { payment: string; link: string; order: string; url: string } | null;
  staff: Staff | null;
  item: string;
  id?: number;
  reference?: string;
  receipt?: string;
}

interface PlannedPackage {
  key: string;
  patientId: number;
  planId: number;
  planName: string;
  validDays: number;
  serviceId: number;
  sessions: number;
  pricePaise: number;
  soldAt: Date;
  used: number;
  id?: number;
}

interface AuditDraft {
  at: Date;
  actor: Staff | null;
  action: string;
  entity: string;
  entityId: () => string | number | null;
  patientId: number | null;
  before?: Record<string, unknown> | null;
  after?: () => Record<string, unknown> | null;
}

/** Rows in chunks, so that no statement has too many parameters. */
async function insertAll<T extends keyof DB & string>(ctx: DomainContext, table: T, rows: Array<Insertable<DB[T]>>, returning?: string[]) {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    // Kysely's typing of a table chosen at run time: the rows are typed by the caller.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely cannot type values() for a table chosen at run time
    const query = (ctx.db.insertInto(table) as any).values(chunk);
    if (returning) out.push(...((await query.returning(returning).execute()) as Array<Record<string, unknown>>));
    else await query.execute();
  }
  return out;
}

/** Reserves `count` numbers of a sequence, so that rows written together get consecutive numbers in the order given. */
async function reserveNumbers(ctx: DomainContext, sequence: string, count: number): Promise<number> {
  if (!count) return 0;
  const { rows } = await sql<{ first: string }>`SELECT nextval(${sequence}::regclass) AS first`.execute(ctx.db);
  const first = Number(rows[0]!.first);
  if (count > 1) await sql`SELECT setval(${sequence}::regclass, ${first + count - 1})`.execute(ctx.db);
  return first;
}

/** The demo's phone numbers are written as people say them; stored as E.164. */
const e164 = (phone: string) => phone.replace(/\s/g, '');

const padded = (prefix: string, n: number, width = 6) => `${prefix}${String(n).padStart(width, '0')}`;

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

/**
 * Writes the demo's past into the demo's transaction. `opening` is when the clinic was set up (the demo's
 * people were added then); `today` the clinic's date the demo runs on.
 */
export async function addDemoHistory(
  ctx: DomainContext,
  people: { therapistIds: Map<string, number>; patientIds: Map<string, number> },
  today: string,
  opening: Date,
): Promise<DemoHistory> {
  const tz = ctx.timezone;
  const rng = generator(20_26_09);
  const from = addDays(today, -HISTORY_DAYS);
  const to = addDays(today, -1);
  const at = (instant: Date) => ({ ...ctx, clock: fixedClock(instant) });

  // The clinic's set-up, as the domain does it: its policy fees, its package plans, the past's slots.
  await updateClinicPolicies(at(opening), DEMO_POLICY_FEES);
  const services = new Map(
    (await ctx.db.selectFrom('services').select(['id', 'code', 'name', 'price_paise', 'duration_minutes']).execute()).map((s) => [s.code, s]),
  );
  const service = (code: string) => services.get(code)!;
  const plans = new Map<string, { id: number; name: string; serviceId: number; sessions: number; pricePaise: number; validDays: number }>();
  for (const p of DEMO_PACKAGE_PLANS) {
    const plan = await addPackagePlan(at(opening), {
      code: p.code,
      name: p.name,
      serviceId: service(p.service).id,
      sessions: p.sessions,
      pricePaise: p.rupees * 100,
    });
    plans.set(p.code, {
      id: plan.id,
      name: plan.name,
      serviceId: plan.service_id,
      sessions: plan.sessions,
      pricePaise: plan.price_paise,
      validDays: plan.valid_days,
    });
  }
  await generateSlots(at(opening), { from, to });

  const settings = await requireClinicSettings(ctx);
  const staffRows = await ctx.db
    .selectFrom('staff_users as u')
    .leftJoin('therapists as t', 't.staff_user_id', 'u.id')
    .select(['u.id', 'u.username', 'u.role', 't.id as therapist_id'])
    .execute();
  const staffNamed = (username: string): Staff => {
    const u = staffRows.find((r) => r.username === username)!;
    return { id: u.id, role: u.role };
  };
  const desk = staffNamed('demo.desk');
  const admin = staffNamed('demo.admin');
  const audit: AuditDraft[] = [];

  // ---- People of the past: patients (children with a parent), registered when they first came.
  const caseload = DEMO_CASELOAD.map((plan) => ({ plan, weekdays: [] as number[], slotIndex: 0 }));
  const firstWeek = (plan: DemoCaseload) => (plan.from === 'before' ? 0 : plan.from);
  const registeredAt = (plan: DemoCaseload) =>
    plan.from === 'before'
      ? zonedInstant(addDays(from, -rng.int(20, 80)), `${rng.int(10, 17)}:${rng.pick(['05', '20', '35', '50'])}`, tz)
      : zonedInstant(addDays(from, 7 * plan.from - rng.int(2, 6)), `${rng.int(10, 17)}:${rng.pick(['10', '25', '40', '55'])}`, tz);
  const registered = new Map(DEMO_CASELOAD.map((plan) => [plan.patient, registeredAt(plan)]));

  const newPatients = await insertAll(
    ctx,
    'patients',
    DEMO_HISTORY_PATIENTS.map((p) => ({
      full_name: p.fullName,
      date_of_birth: p.dateOfBirth,
      gender: p.gender,
      phone: 'phone' in p ? e164(p.phone) : null,
      preferred_language: 'language' in p ? p.language : 'en',
      sample: true,
      created_at: registered.get(p.key)!,
    })),
    ['id', 'full_name'],
  );
  const patientIds = new Map(people.patientIds);
  for (const p of DEMO_HISTORY_PATIENTS) {
    const id = newPatients.find((r) => r.full_name === p.fullName)!.id as number;
    patientIds.set(p.key, id);
    audit.push({ at: registered.get(p.key)!, actor: desk, action: 'patient.add', entity: 'patient', entityId: () => id, patientId: id });
  }
  // The patients the demo names keep their own story: those of the past were registered when they began;
  // one without a past (Diya, booked for an initial assessment) was registered yesterday.
  for (const [key, id] of people.patientIds) {
    const when = registered.get(key) ?? zonedInstant(to, '17:40', tz);
    await ctx.db.updateTable('patients').set({ created_at: when }).where('id', '=', id).execute();
  }
  const parents = DEMO_HISTORY_PATIENTS.filter((p) => 'parent' in p);
  const guardianRows = await insertAll(
    ctx,
    'guardians',
    parents.map((p) => ({ full_name: p.parent[0], phone: e164(p.parent[1]), sample: true, created_at: registered.get(p.key)! })),
    ['id', 'full_name'],
  );
  const links = parents.map((p) => ({
    patient_id: patientIds.get(p.key)!,
    guardian_id: guardianRows.find((g) => g.full_name === p.parent[0])!.id as number,
    relationship: p.parent[2],
    is_primary: true,
    created_at: registered.get(p.key)!,
  }));
  await insertAll(ctx, 'patient_guardians', links);
  for (const link of links) {
    const when = later(link.created_at, MINUTE);
    audit.push({ at: when, actor: desk, action: 'guardian.add', entity: 'guardian', entityId: () => link.guardian_id, patientId: null });
    audit.push({
      at: later(when, MINUTE),
      actor: desk,
      action: 'guardian.link',
      entity: 'patient_guardian',
      entityId: () => `${link.patient_id}:${link.guardian_id}`,
      patientId: link.patient_id,
      after: () => ({ relationship: link.relationship, isPrimary: true }),
    });
  }

  // ---- The timetable: each patient on the same weekdays at about the same time, in the past's slots.
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
  const taken = new Set<number>();
  const appointments: PlannedAppointment[] = [];
  for (const entry of caseload) {
    const { plan } = entry;
    const therapistId = people.therapistIds.get(plan.therapist)!;
    const therapistRow = staffRows.find((r) => r.therapist_id === therapistId)!;
    entry.weekdays = weekdaysFor(rng, plan.perWeek, plan.therapist !== 'meera.pt');
    entry.slotIndex = rng.int(0, 7);
    let first = plan.from !== 'before';
    for (let week = firstWeek(plan); week < plan.until; week++) {
      for (let d = 0; d < 7; d++) {
        const date = addDays(from, week * 7 + d);
        if (!entry.weekdays.includes(isoWeekdayOf(date))) continue;
        const day = slotsByDay.get(`${therapistId}|${date}`) ?? [];
        const free = [...day.slice(entry.slotIndex % Math.max(day.length, 1)), ...day].find((s) => !taken.has(s.id));
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
          patientId: patientIds.get(plan.patient)!,
          therapistId,
          therapistUser: { id: therapistRow.id, role: 'therapist' },
          serviceId: sv.id,
          serviceCode: code,
          slotId: free.id,
          startsAt: free.starts_at,
          endsAt: later(free.starts_at, sv.duration_minutes * MINUTE),
          pricePaise: sv.price_paise,
          createdAt: createdAt < registered.get(plan.patient)! ? later(registered.get(plan.patient)!, 5 * MINUTE) : createdAt,
          outcome: 'completed',
          doneAt: free.starts_at,
          paymentStatus: 'pending',
          policyFee: null,
          plan,
        });
      }
    }
  }
  // ---- What became of each: about 85% of the sessions due were attended.
  const refundCase = appointments
    .filter((a) => a.plan.patient === 'rohan' && a.serviceCode === 'physiotherapy')
    .sort(
      (a, b) =>
        Math.abs(a.startsAt.getTime() - zonedInstant(addDays(today, -40), '12:00', tz).getTime()) -
        Math.abs(b.startsAt.getTime() - zonedInstant(addDays(today, -40), '12:00', tz).getTime()),
    )[0];
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
  appointments.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.startsAt.getTime() - b.startsAt.getTime());

  // ---- Packages: bought before a session, drawn by completed sessions until used up (then bought again, if so).
  const packages: PlannedPackage[] = [];
  const payments: PlannedPayment[] = [];
  const methodFor = (plan: DemoCaseload) => (plan.pays.length > 1 && rng.chance(0.3) ? rng.pick(plan.pays.slice(1)) : plan.pays[0]!);
  let utrCounter = 0;
  const latest = later(ctx.clock.now(), -5 * MINUTE);
  const paymentOf = (patientId: number, method: DemoMethod, amountPaise: number, attendedAt: Date, item: string): PlannedPayment => {
    const online = method === 'razorpay';
    // Paid online that evening (never after the demo's own now, when it runs just after midnight).
    const evening = later(attendedAt, rng.int(60, 300) * MINUTE);
    const paidAt = online ? (evening < latest ? evening : latest) : later(attendedAt, rng.int(2, 9) * MINUTE);
    return {
      patientId,
      amountPaise,
      method,
      createdAt: online ? later(attendedAt, MINUTE) : paidAt,
      paidAt,
      utr: method === 'upi' ? String(512_300_000_000 + ++utrCounter * 7_919) : null,
      razorpay: online
        ? { payment: `pay_${rng.token(14)}`, link: `plink_${rng.token(14)}`, order: `order_${rng.token(14)}`, url: `https://rzp.io/i/${rng.token(8)}` }
        : null,
      staff: online ? null : desk,
      item,
    };
  };
  const chronological = [...appointments].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const open = new Map<string, PlannedPackage>();
  const unpaidFees = new Map<number, PlannedAppointment[]>();
  for (const a of chronological) {
    const { plan } = a;
    const bought = plan.package;
    if (a.outcome === 'completed') {
      if (bought && a.serviceCode === plan.service && a.startsAt >= zonedInstant(addDays(from, bought.week * 7), '00:00', tz)) {
        let pkg = open.get(plan.patient);
        const used = packages.some((p) => p.patientId === a.patientId);
        if (!pkg && (!used || bought.renew)) {
          const p = plans.get(bought.plan)!;
          pkg = {
            key: `package:${packages.length}`,
            patientId: a.patientId,
            planId: p.id,
            planName: p.name,
            validDays: p.validDays,
            serviceId: p.serviceId,
            sessions: p.sessions,
            pricePaise: p.pricePaise,
            soldAt: later(a.startsAt, -rng.int(8, 15) * MINUTE),
            used: 0,
          };
          packages.push(pkg);
          open.set(plan.patient, pkg);
          const sale = paymentOf(a.patientId, bought.method, p.pricePaise, pkg.soldAt, `Package: ${p.name}`);
          sale.paidAt = sale.createdAt = pkg.soldAt;
          if (bought.method === 'razorpay') throw new Error('demo packages are sold at the desk');
          sale.packageKey = pkg.key;
          payments.push(sale);
        }
        if (pkg) {
          pkg.used++;
          a.packageKey = pkg.key;
          a.paymentStatus = 'paid';
          if (pkg.used >= pkg.sessions) open.delete(plan.patient);
        }
      }
      if (!a.packageKey) {
        const recent = a.startsAt >= zonedInstant(addDays(today, -12), '00:00', tz);
        if (!(recent && rng.chance(0.06))) {
          const pay = paymentOf(a.patientId, methodFor(plan), a.pricePaise, a.doneAt, a.serviceCode);
          pay.appointment = a;
          a.paymentStatus = 'paid';
          payments.push(pay);
        }
      }
      // A fee of a missed session is paid at the next visit.
      for (const missed of unpaidFees.get(a.patientId) ?? []) {
        const fee = paymentOf(a.patientId, plan.pays[0] === 'razorpay' ? 'upi' : plan.pays[0]!, missed.policyFee!, a.doneAt, missed.serviceCode);
        fee.paidAt = fee.createdAt = later(fee.paidAt, MINUTE);
        fee.appointment = missed;
        missed.paymentStatus = 'paid';
        payments.push(fee);
      }
      unpaidFees.delete(a.patientId);
    } else if (a.policyFee) {
      unpaidFees.set(a.patientId, [...(unpaidFees.get(a.patientId) ?? []), a]);
    } else if (a.outcome === 'clinic_cancel') {
      // Paid at the desk when booked; given back when the clinic cancelled.
      const prepaid = paymentOf(a.patientId, 'card', a.pricePaise, a.createdAt, a.serviceCode);
      prepaid.paidAt = prepaid.createdAt = later(a.createdAt, 2 * MINUTE);
      prepaid.appointment = a;
      a.paymentStatus = 'refunded';
      payments.push(prepaid);
    }
  }
  payments.sort((a, b) => a.paidAt.getTime() - b.paidAt.getTime());

  // ---- Written in the order the clinic numbered them: appointments by booking, payments and receipts by payment.
  const firstAppointment = await reserveNumbers(ctx, 'appointment_number_seq', appointments.length);
  appointments.forEach((a, i) => (a.number = padded('APT-', firstAppointment + i)));
  const appointmentRows = await insertAll(
    ctx,
    'appointments',
    appointments.map((a) => ({
      appointment_number: a.number!,
      patient_id: a.patientId,
      therapist_id: a.therapistId,
      service_id: a.serviceId,
      slot_id: a.slotId,
      starts_at: a.startsAt,
      ends_at: a.endsAt,
      price_paise: a.pricePaise,
      status: a.outcome === 'completed' ? 'completed' : a.outcome === 'no_show' ? 'no_show' : 'cancelled',
      payment_status: a.paymentStatus,
      booked_via: 'cli',
      booked_by_staff_id: desk.id,
      completed_at: a.outcome === 'completed' ? a.doneAt : null,
      no_show_at: a.outcome === 'no_show' ? a.doneAt : null,
      cancelled_at: a.outcome.endsWith('cancel') ? a.doneAt : null,
      cancelled_by: a.outcome.endsWith('cancel') ? 'staff' : null,
      cancelled_by_staff_id: a.outcome === 'clinic_cancel' ? admin.id : a.outcome.endsWith('cancel') ? desk.id : null,
      cancellation_reason: a.reason ?? null,
      late_cancellation: a.outcome === 'late_cancel',
      policy_fee_paise: a.policyFee,
      created_at: a.createdAt,
      updated_at: a.doneAt,
    })),
    ['id', 'appointment_number'],
  );
  const appointmentIds = new Map(appointmentRows.map((r) => [r.appointment_number as string, r.id as number]));
  for (const a of appointments) a.id = appointmentIds.get(a.number!)!;

  const packageRows = await insertAll(
    ctx,
    'patient_packages',
    packages.map((p) => ({
      patient_id: p.patientId,
      plan_id: p.planId,
      service_id: p.serviceId,
      sessions_total: p.sessions,
      price_paise: p.pricePaise,
      status: 'active',
      expires_on: addDays(clinicDate(p.soldAt, tz), p.validDays),
      sold_by_staff_id: desk.id,
      created_at: p.soldAt,
    })),
    ['id'],
  );
  packages.forEach((p, i) => (p.id = packageRows[i]!.id as number));
  const packageByKey = new Map(packages.map((p) => [p.key, p]));
  const draws = appointments.filter((a) => a.packageKey);
  await insertAll(
    ctx,
    'package_draws',
    draws
      .sort((a, b) => a.doneAt.getTime() - b.doneAt.getTime())
      .map((a) => ({ package_id: packageByKey.get(a.packageKey!)!.id!, appointment_id: a.id!, reason: 'session', drawn_at: a.doneAt })),
  );
  const exhausted = packages.filter((p) => p.used >= p.sessions).map((p) => p.id!);
  if (exhausted.length) await ctx.db.updateTable('patient_packages').set({ status: 'exhausted' }).where('id', 'in', exhausted).execute();

  const firstPayment = await reserveNumbers(ctx, 'payment_reference_seq', payments.length);
  const firstReceipt = await reserveNumbers(ctx, 'receipt_number_seq', payments.length);
  payments.forEach((p, i) => {
    p.reference = padded('PAY-', firstPayment + i);
    p.receipt = padded(`${settings.receipt_prefix}-`, firstReceipt + i);
  });
  const paymentRows = await insertAll(
    ctx,
    'payments',
    payments.map((p) => ({
      reference: p.reference!,
      patient_id: p.patientId,
      appointment_id: p.appointment?.id ?? null,
      package_id: p.packageKey ? packageByKey.get(p.packageKey)!.id! : null,
      amount_paise: p.amountPaise,
      method: p.method,
      state: 'completed',
      utr: p.utr,
      razorpay_order_id: p.razorpay?.order ?? null,
      razorpay_payment_id: p.razorpay?.payment ?? null,
      razorpay_payment_link_id: p.razorpay?.link ?? null,
      razorpay_short_url: p.razorpay?.url ?? null,
      processed_by_staff_id: p.staff?.id ?? null,
      paid_at: p.paidAt,
      created_at: p.createdAt,
      updated_at: p.paidAt,
    })),
    ['id', 'reference'],
  );
  const paymentIds = new Map(paymentRows.map((r) => [r.reference as string, r.id as number]));
  for (const p of payments) p.id = paymentIds.get(p.reference!)!;

  const patientFacts = new Map((await ctx.db.selectFrom('patients').select(['id', 'patient_number', 'full_name']).execute()).map((p) => [p.id, p]));
  const clinic = { name: settings.name, address: settings.address, phone: settings.phone, email: settings.email, gstin: settings.gstin };
  const snapshot = (p: PlannedPayment, amountPaise: number, issuedAt: Date): ReceiptSnapshot => ({
    clinic,
    patient: { number: patientFacts.get(p.patientId)!.patient_number, name: patientFacts.get(p.patientId)!.full_name },
    item: p.packageKey ? p.item : service(p.item).name,
    appointmentNumber: p.appointment?.number ?? null,
    amountPaise,
    method: p.method,
    paymentReference: p.reference!,
    externalReference: p.utr ?? p.razorpay?.payment ?? null,
    issuedAt: issuedAt.toISOString(),
  });
  await insertAll(
    ctx,
    'receipts',
    payments.map((p) => ({
      receipt_number: p.receipt!,
      kind: 'receipt',
      payment_id: p.id!,
      amount_paise: p.amountPaise,
      snapshot: JSON.stringify(snapshot(p, p.amountPaise, p.paidAt)),
      issued_at: p.paidAt,
    })),
  );

  // ---- The refund: the clinic cancelled a paid session and paid it back, with a credit note.
  const refunded = payments.find((p) => p.appointment?.outcome === 'clinic_cancel');
  let refunds = 0;
  if (refunded) {
    const processedAt = later(refunded.appointment!.doneAt, 6 * MINUTE);
    const refund = await ctx.db
      .insertInto('refunds')
      .values({
        payment_id: refunded.id!,
        amount_paise: refunded.amountPaise,
        reason: 'Session cancelled by the clinic (therapist at a workshop)',
        state: 'processed',
        processed_by_staff_id: admin.id,
        processed_at: processedAt,
        created_at: processedAt,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    await issueCreditNote(at(processedAt), refund.id);
    refunds = 1;
    audit.push({
      at: processedAt,
      actor: admin,
      action: 'payment.refund',
      entity: 'refund',
      entityId: () => refund.id,
      patientId: refunded.patientId,
      after: () => ({ paymentId: refunded.id, amountPaise: refunded.amountPaise, method: refunded.method, state: 'processed' }),
    });
  }

  // ---- Session notes: every session attended, but for a few of the last two days (still due).
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
  const noteRows = await insertAll(
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
  const noteFields = TEXT_FIELDS.filter((f) => f !== 'materials' && f !== 'patientResponse');

  // ---- Goals, set at the first session seen, measured every other session after.
  const goals = DEMO_GOALS.map((g) => {
    const sessions = notes.filter((n) => n.appointment.patientId === patientIds.get(g.patient));
    const plan = DEMO_CASELOAD.find((c) => c.patient === g.patient)!;
    const first = sessions[0];
    return { goal: g, plan, sessions, setAt: first ? later(first.writtenAt, 2 * MINUTE) : opening, therapistId: people.therapistIds.get(plan.therapist)! };
  }).filter((g) => g.sessions.length > 1);
  const goalRows = await insertAll(
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
  const measurementRows = await insertAll(
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

  // ---- The audit entries the domain writes with each of these.
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
  goals.forEach((g, i) => {
    const id = goalRows[i]!.id as number;
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
  });
  measurements.forEach((m, i) => {
    audit.push({
      at: m.at,
      actor: m.session.appointment.therapistUser,
      action: 'clinical.goal_measure',
      entity: 'goal',
      entityId: () => m.goalId,
      patientId: m.session.appointment.patientId,
      after: () => ({ measurementId: measurementRows[i]!.id, value: m.value, measuredOn: clinicDate(m.session.appointment.startsAt, tz) }),
    });
  });
  audit.sort((a, b) => a.at.getTime() - b.at.getTime());
  await insertAll(
    ctx,
    'audit_log',
    audit.map((e): Insertable<AuditLog> => {
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
        before: e.before ? JSON.stringify(e.before) : null,
        after: after ? JSON.stringify(after) : null,
        meta: null,
      };
    }),
  );

  const attended = appointments.filter((a) => a.outcome === 'completed').length;
  return {
    from,
    to,
    patients: new Set(appointments.map((a) => a.patientId)).size,
    appointments: appointments.length,
    attended,
    noShows: appointments.filter((a) => a.outcome === 'no_show').length,
    lateCancellations: appointments.filter((a) => a.outcome === 'late_cancel').length,
    payments: payments.length,
    refunds,
    sessionNotes: notes.length,
    goalMeasurements: measurements.length,
  };
}
