import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, zonedInstant } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The clinic's late-cancellation and no-show policy, set with `roshni settings` and applied by
// `roshni cancel` / `roshni no-show`: a package session first when the clinic says so, else the fee.

describe('late cancellation and no-show policy', () => {
  // Each test opens a clinic of its own, with no policy set yet, on a clock at the start of a pinned day
  // (a Tuesday) shared by the domain and the CLI: the rules are the same whatever day the suite runs.
  let database: TestDatabase;
  let env: Record<string, string>;
  let ctx: ReturnType<typeof systemContext>;
  let clinic: Awaited<ReturnType<typeof seedClinic>>;
  let clock: ReturnType<typeof fixedClock>;
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin (owner), or as `as`. */
  const roshni = (argv: string[], as = 'owner') => staff.roshni(argv, env, as);
  const today = '2031-03-04';

  beforeEach(async () => {
    clock = fixedClock(zonedInstant(today, '00:00', 'Asia/Kolkata'));
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    ctx = systemContext(database.db, clock);
    clinic = await seedClinic(ctx, { patients: 3, days: 4 });
    await database.db
      .insertInto('staff_users')
      .values([
        { username: 'owner', full_name: 'Clinic Owner', role: 'admin' },
        { username: 'desk', full_name: 'Front Desk', role: 'receptionist' },
      ])
      .execute();
    staff = signedInCli(database.db, { clock });
  });
  afterEach(() => database?.close());

  const book = async (patient: number, day: number, index: number) => {
    const slots = await slotsOn(ctx, clinic.speech.id, addDays(today, day));
    return bookAppointment(ctx, { patientId: clinic.patients[patient]!.id, serviceId: clinic.speechService.id, slotId: slots[index]!.id });
  };

  it('admins set the fees and rules; others are refused; bad values change nothing', async () => {
    const set = await roshni(
      [
        'settings',
        'set',
        '--late-cancel-fee',
        '250',
        '--noshow-fee',
        '₹400',
        '--late-cancel-hours',
        '48',
        '--reminders',
        '24h,90m',
        '--quiet-hours',
        '22:00-07:30',
        '--json',
      ],
      'owner',
    );
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      lateCancelFeePaise: 25_000,
      noShowFeePaise: 40_000,
      lateCancelHours: 48,
      reminderOffsetsMinutes: [1440, 90],
      quietHoursStart: '22:00',
      quietHoursEnd: '07:30',
    });

    expect((await roshni(['settings', 'set', '--noshow-fee', '100'], 'desk')).code).toBe(5);
    const bad = await roshni(['settings', 'set', '--noshow-fee', '100', '--quiet-hours', '25:00-07:00']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/HH:MM/);
    const nothing = await roshni(['settings', 'set']);
    expect(nothing.code).toBe(2);
    const shown = await roshni(['settings', 'show']);
    expect(shown.stdout).toMatch(/No-show fee \(₹\)\s+₹400\.00/);
    const audit = await database.db.selectFrom('audit_log').select(['before', 'after']).where('action', '=', 'clinic.policies').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.after).toMatchObject({ noShowFeePaise: 40_000 });
  });

  it('a late cancellation by the patient adds the fee; the clinic cancelling (--clinic) adds none', async () => {
    // Cancelling within 48 hours of the session costs ₹250.
    expect((await roshni(['settings', 'set', '--late-cancel-fee', '250', '--late-cancel-hours', '48'])).code).toBe(0);
    const byPatient = await book(0, 1, 0);
    const byClinic = await book(1, 1, 1);
    const cancelled = await roshni(['cancel', byPatient.appointmentNumber, '--reason', 'Patient phoned: child unwell']);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/late cancellation[\s\S]*Fee of ₹250\.00 added to the dues; an admin can waive it/);
    const clinicSide = await roshni(['cancel', byClinic.appointmentNumber, '--reason', 'Therapist on leave', '--clinic']);
    expect(clinicSide.stdout).not.toMatch(/Fee/);
    const dues = JSON.parse((await roshni(['dues', '--json'])).stdout) as Array<{ patientId: number; duePaise: number }>;
    expect(dues.map((d) => [d.patientId, d.duePaise])).toEqual([[clinic.patients[0]!.id, 25_000]]);

    // The fee is paid like any due, at the desk.
    const paid = await roshni(['pay', 'cash', byPatient.appointmentNumber, '--amount', '250', '--json']);
    expect(paid.code, paid.stderr).toBe(0);
    expect(JSON.parse(paid.stdout)).toMatchObject({ amountPaise: 25_000 });
  });

  it('a no-show with a package draws a session when the clinic says so; an admin waiver gives it back', async () => {
    // A no-show costs ₹400, but a patient with a package gives up a session instead.
    expect((await roshni(['settings', 'set', '--noshow-fee', '400', '--policy-draws-package', 'yes'])).code).toBe(0);
    await roshni([
      'package',
      'add-plan',
      '--code',
      'speech-2',
      '--name',
      'Two speech sessions',
      '--service',
      'speech-therapy',
      '--sessions',
      '2',
      '--price',
      '1800',
    ]);
    expect((await roshni(['package', 'sell', '--patient', 'Patient 003', '--plan', 'speech-2', '--method', 'cash'])).code).toBe(0);
    const missed = await book(2, 1, 2);
    clock.set(zonedInstant(addDays(today, 1), '12:00', 'Asia/Kolkata'));
    const noShow = await roshni(['no-show', missed.appointmentNumber]);
    expect(noShow.code).toBe(0);
    expect(noShow.stdout).toMatch(/One package session used \(1 left\)/);
    const left = () => roshni(['package', 'list', '--patient', 'Patient 003', '--json']).then((r) => JSON.parse(r.stdout)[0].sessionsLeft);
    expect(await left()).toBe(1);

    expect((await roshni(['waive', missed.appointmentNumber, '--reason', 'Traffic jam, first time'], 'desk')).code).toBe(5);
    const waived = await roshni(['waive', missed.appointmentNumber, '--reason', 'Traffic jam, first time', '--json'], 'owner');
    expect(waived.code).toBe(0);
    expect(JSON.parse(waived.stdout)).toMatchObject({ packageSessionReturned: true });
    expect(await left()).toBe(2);
    const audit = await database.db.selectFrom('audit_log').select(['action', 'actor_kind']).where('entity_id', '=', String(missed.id)).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['appointment.no_show', 'appointment.policy_charge', 'payment.waive']));
  });
});
