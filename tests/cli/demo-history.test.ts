import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/domain/demo/demo-clinic.js';
import { fixedClock } from '../../src/infra/clock.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The demo's past, on a day of its own: Tuesday 15 December 2026, 11:00 in Bengaluru. The past runs from
// 15 September to 14 December, so November is a whole month of it and December has two weeks so far.
const clock = fixedClock('2026-12-15T05:30:00Z');

type Figures = { payments: number; receivedPaise: number; refunds: number; refundedPaise: number; netPaise: number };
const sum = (lines: Figures[], key: keyof Figures) => lines.reduce((n, l) => n + l[key], 0);

describe('the demo clinic has a past', () => {
  let database: TestDatabase;
  let home: string;
  let demo: Awaited<ReturnType<typeof runCli>>;
  const roshni = (argv: string[]) => runCli(argv, { DATABASE_URL: database.url, ROSHNI_HOME: home }, { clock });
  const json = async (argv: string[]) => {
    const result = await roshni([...argv, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };
  const rows = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(database.db)).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-demo-past-'));
    demo = await roshni(['demo']);
    const login = await runCli(['login', 'demo.admin', '--password-stdin'], { DATABASE_URL: database.url, ROSHNI_HOME: home }, { input: `${DEMO_PASSWORD}\n` });
    expect(login.code, login.stderr).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('says what past it made, three months before the demo’s today', () => {
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/Demo clinic loaded: 3 therapists, 32 patients, 6 bookings/);
    expect(demo.stdout).toMatch(/Its past, 2026-09-15 to 2026-12-14: \d{3} appointments \(\d{3} attended, \d+ no-shows, \d+ late cancellations\)/);
  });

  it('last month: sessions attended, no-shows, late cancellations, a believable utilisation, every way of paying', async () => {
    const month = await json(['report', 'monthly']);
    expect(month.month).toBe('2026-11');
    const { attendance, utilisation, revenue, patients } = month;
    expect(attendance.total.attended).toBeGreaterThan(150);
    expect(attendance.total.noShows).toBeGreaterThan(3);
    expect(attendance.total.lateCancellations).toBeGreaterThan(3);
    expect(attendance.total.open).toBe(0);
    const due = attendance.total.attended + attendance.total.noShows + attendance.total.lateCancellations;
    expect(attendance.total.attended / due).toBeGreaterThan(0.78);
    expect(attendance.total.attended / due).toBeLessThan(0.93);
    expect(utilisation.total.utilisationPercent).toBeGreaterThan(25);
    expect(utilisation.total.utilisationPercent).toBeLessThan(60);
    for (const line of utilisation.lines) expect(line.utilisationPercent).toBeGreaterThan(15);
    expect(revenue.byMethod.lines.map((l: { key: string }) => l.key).sort()).toEqual(['bank_transfer', 'card', 'cash', 'razorpay', 'upi']);
    expect(revenue.byService.lines.map((l: { key: string }) => l.key)).toEqual(
      expect.arrayContaining(['speech-therapy', 'occupational-therapy', 'physiotherapy', 'initial-assessment']),
    );
    expect(patients.total.seen).toBeGreaterThan(20);
    expect(patients.total.new).toBeGreaterThan(0);
    expect(patients.total.returning).toBeGreaterThan(patients.total.new);
  });

  it('adds up: revenue is payments less refunds, by method, service and day alike, and matches the payments themselves', async () => {
    let refunds = 0;
    for (const m of ['2026-09', '2026-10', '2026-11', '2026-12']) {
      const { revenue, period } = await json(['report', 'monthly', '--month', m]);
      const total: Figures = revenue.byMethod.total;
      expect(total.netPaise).toBe(total.receivedPaise - total.refundedPaise);
      for (const by of ['byMethod', 'byService', 'byDay'] as const) {
        expect(revenue[by].total).toEqual(total);
        for (const key of ['payments', 'receivedPaise', 'refunds', 'refundedPaise', 'netPaise'] as const) expect(sum(revenue[by].lines, key)).toBe(total[key]);
      }
      const [paid] = await rows(sql<{ received: number; refunded: number }>`
        SELECT (SELECT coalesce(sum(amount_paise), 0) FROM payments WHERE state = 'completed' AND paid_at >= ${period.start} AND paid_at < ${period.end})::integer AS received,
               (SELECT coalesce(sum(amount_paise), 0) FROM refunds WHERE state = 'processed' AND processed_at >= ${period.start} AND processed_at < ${period.end})::integer AS refunded`);
      expect(total.receivedPaise).toBe(paid!.received);
      expect(total.refundedPaise).toBe(paid!.refunded);
      refunds += total.refunds;
    }
    expect(refunds).toBe(1);

    // The busiest day's reconciliation agrees with the revenue report's day.
    const { revenue } = await json(['report', 'monthly']);
    const busy = revenue.byDay.lines.reduce((a: Figures, b: Figures) => (b.netPaise > a.netPaise ? b : a));
    const day = await json(['reconcile', '--date', busy.key]);
    expect(day.receivedPaise).toBe(busy.netPaise);
    expect(day.expectedPaise).toBeGreaterThan(0);
  });

  it('this month so far: sessions attended, and utilisation of the days gone by', async () => {
    const month = await json(['report', 'monthly', '--month', '2026-12']);
    expect(month.attendance.total.attended).toBeGreaterThan(50);
    expect(month.attendance.total.open).toBeGreaterThan(0);
    expect(month.utilisation.total.bookedMinutes).toBeGreaterThan(0);
  });

  it('dues are what was attended or charged and not paid; every payment has its receipt, numbered in order', async () => {
    const dues = await json(['dues']);
    const [owed] = await rows(sql<{ due: number; patients: number }>`
      SELECT coalesce(sum(CASE WHEN a.status = 'completed' THEN a.price_paise ELSE a.policy_fee_paise END), 0)::integer AS due,
             count(DISTINCT a.patient_id)::integer AS patients
      FROM appointments a
      WHERE a.payment_status = 'pending' AND NOT EXISTS (SELECT 1 FROM package_draws d WHERE d.appointment_id = a.id)
        AND (a.status = 'completed' OR a.policy_fee_paise IS NOT NULL)`);
    expect(dues.reduce((n: number, d: { duePaise: number }) => n + d.duePaise, 0)).toBe(owed!.due);
    expect(dues.length).toBe(owed!.patients);
    expect(owed!.due).toBeGreaterThan(0);

    const receipts = await rows(sql<{ receipt_number: string; kind: string; amount_paise: number; paid: number | null }>`
      SELECT r.receipt_number, r.kind, r.amount_paise, p.amount_paise AS paid
      FROM receipts r LEFT JOIN payments p ON p.id = r.payment_id ORDER BY r.issued_at, r.id`);
    const [counts] = await rows(sql<{ payments: number; refunds: number }>`
      SELECT (SELECT count(*) FROM payments WHERE state = 'completed')::integer AS payments, (SELECT count(*) FROM refunds)::integer AS refunds`);
    const numbers = receipts.filter((r) => r.kind === 'receipt').map((r) => r.receipt_number);
    expect(numbers).toHaveLength(counts!.payments);
    expect(numbers).toEqual([...numbers].sort());
    expect(numbers[0]).toBe('RDC-000001');
    expect(receipts.filter((r) => r.kind === 'receipt').every((r) => r.amount_paise === r.paid)).toBe(true);
    expect(receipts.filter((r) => r.kind === 'credit_note').map((r) => r.receipt_number)).toEqual(['RDC-CN-000001']);
    expect(counts!.refunds).toBe(1);
    const [refunded] = await rows(sql<{ payment_status: string; status: string }>`
      SELECT a.payment_status, a.status FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN appointments a ON a.id = p.appointment_id`);
    expect(refunded).toEqual({ payment_status: 'refunded', status: 'cancelled' });
  });

  it('has packages used up and part used, each draw within its package', async () => {
    const packages = await rows(sql<{ status: string; total: number; used: number }>`
      SELECT pp.status::text, pp.sessions_total AS total, (SELECT count(*) FROM package_draws d WHERE d.package_id = pp.id)::integer AS used
      FROM patient_packages pp ORDER BY pp.id`);
    expect(packages.some((p) => p.status === 'exhausted' && p.used === p.total)).toBe(true);
    expect(packages.some((p) => p.status === 'active' && p.used > 0 && p.used < p.total)).toBe(true);
    expect(packages.every((p) => p.used <= p.total)).toBe(true);
  });

  it('shows a child’s goals measured over the three months, getting better', async () => {
    const progress = await json(['progress', 'Aarav Gupta']);
    const goals = progress.goals ?? progress;
    expect(goals.length).toBe(2);
    for (const goal of goals) {
      expect(goal.measurements.length).toBeGreaterThan(5);
      expect(goal.measurements[0]).toMatchObject({ value: goal.baseline });
      expect(goal.measurements[0].on < '2026-10-01').toBe(true);
      expect(goal.percentOfWay).toBeGreaterThan(30);
      expect(goal.percentOfWay).toBeLessThan(100);
    }
    const notes = await rows(sql<{ attended: number; noted: number }>`
      SELECT count(*)::integer AS attended, count(s.id)::integer AS noted FROM appointments a
      LEFT JOIN therapy_sessions s ON s.appointment_id = a.id WHERE a.status = 'completed'`);
    expect(notes[0]!.noted).toBeGreaterThan(notes[0]!.attended - 10);
  });

  it('has the audit entries the domain writes, and the chain verifies', async () => {
    const [entries] = await rows(sql<{ appointments: number; booked: number; payments: number; completed: number }>`
      SELECT (SELECT count(*) FROM appointments)::integer AS appointments,
             (SELECT count(*) FROM audit_log WHERE action = 'appointment.book')::integer AS booked,
             (SELECT count(*) FROM payments)::integer AS payments,
             (SELECT count(*) FROM audit_log WHERE action = 'payment.complete')::integer AS completed`);
    expect(entries!.booked).toBe(entries!.appointments);
    expect(entries!.completed).toBe(entries!.payments);
    const verify = await roshni(['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('is the same past on every run of the same day', async () => {
    const other = await createTestDatabase();
    try {
      expect((await runCli(['demo'], { DATABASE_URL: other.url }, { clock })).code).toBe(0);
      const fingerprint = async (db: TestDatabase['db']) =>
        (
          await sql<{ f: string }>`
            SELECT md5(string_agg(a.appointment_number || a.starts_at::text || a.status || a.payment_status || coalesce(p.method::text, '') || coalesce(p.amount_paise, 0), ',' ORDER BY a.id)) AS f
            FROM appointments a LEFT JOIN payments p ON p.appointment_id = a.id`.execute(db)
        ).rows[0]!.f;
      expect(await fingerprint(other.db)).toBe(await fingerprint(database.db));
    } finally {
      await other.close();
    }
  });
});
