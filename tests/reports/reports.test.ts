import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReportClinic } from './report-clinic.js';

// Every figure below is worked out by hand from the month described in report-clinic.ts.

const csvLines = (stdout: string) => stdout.trimEnd().split('\r\n');

describe('reports over a known month (September 2026)', () => {
  let clinic: Awaited<ReturnType<typeof openReportClinic>>;
  beforeAll(async () => {
    clinic = await openReportClinic();
  }, 60_000);
  afterAll(() => clinic?.close());

  it('revenue by method: 3 UPI payments (₹11,000, one ₹200 refund), 2 cash (₹1,300); August is left out', async () => {
    const table = await clinic.roshni(['report', 'revenue', '--month', '2026-09']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Revenue by method, September 2026 (2026-09-01 to 2026-09-30)');
    const lines = table.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('UPI'))).toMatch(/^UPI\s+3\s+₹11,000\.00\s+1\s+₹200\.00\s+₹10,800\.00\s*$/);
    expect(lines.find((l) => l.startsWith('Cash'))).toMatch(/^Cash\s+2\s+₹1,300\.00\s+0\s+₹0\.00\s+₹1,300\.00\s*$/);
    expect(lines.find((l) => l.startsWith('Total'))).toMatch(/^Total\s+5\s+₹12,300\.00\s+1\s+₹200\.00\s+₹12,100\.00\s*$/);

    const csv = await clinic.roshni(['report', 'revenue', '--month', '2026-09', '--csv']);
    expect(csv.code).toBe(0);
    expect(csvLines(csv.stdout)).toEqual([
      'method,payments,received_rupees,refunds,refunded_rupees,net_rupees',
      'UPI,3,11000.00,1,200.00,10800.00',
      'Cash,2,1300.00,0,0.00,1300.00',
      'Total,5,12300.00,1,200.00,12100.00',
    ]);

    const json = JSON.parse((await clinic.roshni(['report', 'revenue', '--month', '2026-09', '--json'])).stdout);
    expect(json.period).toMatchObject({ from: '2026-09-01', to: '2026-09-30', label: 'September 2026' });
    expect(json.lines).toEqual([
      { key: 'upi', label: 'UPI', payments: 3, receivedPaise: 1100000, refunds: 1, refundedPaise: 20000, netPaise: 1080000 },
      { key: 'cash', label: 'Cash', payments: 2, receivedPaise: 130000, refunds: 0, refundedPaise: 0, netPaise: 130000 },
    ]);
    expect(json.total).toEqual({ payments: 5, receivedPaise: 1230000, refunds: 1, refundedPaise: 20000, netPaise: 1210000 });
    // No patient in a revenue report.
    expect(JSON.stringify(json)).not.toMatch(/Patient 00|\+9198|P-0/);

    // The same month as --from/--to; and August alone holds only the ₹1,000 cash of 25 Aug.
    const range = JSON.parse((await clinic.roshni(['report', 'revenue', '--from', '2026-09-01', '--to', '2026-09-30', '--json'])).stdout);
    expect(range.total.netPaise).toBe(1210000);
    const august = JSON.parse((await clinic.roshni(['report', 'revenue', '--month', '2026-08', '--json'])).stdout);
    expect(august.total).toEqual({ payments: 1, receivedPaise: 100000, refunds: 0, refundedPaise: 0, netPaise: 100000 });
  });

  it('revenue by service and by day', async () => {
    const byService = await clinic.roshni(['report', 'revenue', '--month', '2026-09', '--by', 'service', '--csv']);
    expect(csvLines(byService.stdout)).toEqual([
      'service,payments,received_rupees,refunds,refunded_rupees,net_rupees',
      'Speech therapy session (packages),1,9000.00,0,0.00,9000.00',
      'Speech therapy session,3,2500.00,1,200.00,2300.00',
      'Physiotherapy session,1,800.00,0,0.00,800.00',
      'Total,5,12300.00,1,200.00,12100.00',
    ]);
    const byDay = JSON.parse((await clinic.roshni(['report', 'revenue', '--month', '2026-09', '--by', 'day', '--json'])).stdout);
    expect(byDay.lines).toHaveLength(30);
    const net = Object.fromEntries(
      byDay.lines.filter((l: { netPaise: number }) => l.netPaise !== 0).map((l: { key: string; netPaise: number }) => [l.key, l.netPaise]),
    );
    expect(net).toEqual({ '2026-09-02': 100000, '2026-09-03': 100000, '2026-09-04': 80000, '2026-09-07': 900000, '2026-09-08': 50000, '2026-09-12': -20000 });
    const table = await clinic.roshni(['report', 'revenue', '--month', '2026-09', '--by', 'day']);
    expect(table.stdout.split('\n').find((l) => l.startsWith('2026-09-12'))).toMatch(/^2026-09-12\s+0\s+₹0\.00\s+1\s+₹200\.00\s+-₹200\.00\s*$/);
  });

  it('utilisation: working hours less the holiday and the leave, against booked time', async () => {
    // Available: 30 days × 240 min, less the holiday (both) and two days of leave (Meera).
    // Booked: Priya 5 × 45 min (2, 3, 10 (no-show), 14, 29 Sep), of which 3 attended; Meera 1 × 45 min.
    const json = JSON.parse((await clinic.roshni(['report', 'utilisation', '--month', '2026-09', '--json'])).stdout);
    expect(json.lines).toEqual([
      {
        therapistId: clinic.clinic.speech.id,
        therapistName: 'Dr. Priya Sharma',
        availableMinutes: 6960,
        bookedMinutes: 225,
        attendedMinutes: 135,
        utilisationPercent: 3.2,
      },
      {
        therapistId: clinic.clinic.physio.id,
        therapistName: 'Meera Iyer',
        availableMinutes: 6480,
        bookedMinutes: 45,
        attendedMinutes: 45,
        utilisationPercent: 0.7,
      },
    ]);
    expect(json.total).toEqual({ availableMinutes: 13440, bookedMinutes: 270, attendedMinutes: 180, utilisationPercent: 2 });
    expect(JSON.stringify(json)).not.toMatch(/Patient 00|\+9198|P-0/);

    const table = await clinic.roshni(['report', 'utilisation', '--month', '2026-09']);
    expect(table.stdout.split('\n').find((l) => l.startsWith('Dr. Priya'))).toMatch(/116\.0\s+3\.8\s+2\.3\s+3\.2%/);
    expect(table.stdout.split('\n').find((l) => l.startsWith('Total'))).toMatch(/224\.0\s+4\.5\s+3\.0\s+2%/);
    const csv = await clinic.roshni(['report', 'utilisation', '--month', '2026-09', '--csv']);
    expect(csvLines(csv.stdout)).toEqual([
      'therapist,available_hours,booked_hours,attended_hours,utilisation_percent',
      'Dr. Priya Sharma,116,3.75,2.25,3.2',
      'Meera Iyer,108,0.75,0.75,0.7',
      'Total,224,4.5,3,2',
    ]);
  });

  it('attendance: one no-show of four due (Priya), one late cancellation of two due (Meera)', async () => {
    const json = JSON.parse((await clinic.roshni(['report', 'attendance', '--month', '2026-09', '--json'])).stdout);
    expect(json.lines).toEqual([
      expect.objectContaining({
        therapistName: 'Dr. Priya Sharma',
        booked: 5,
        attended: 3,
        noShows: 1,
        lateCancellations: 0,
        cancellations: 0,
        open: 1,
        noShowRate: 25,
        lateCancellationRate: 0,
      }),
      expect.objectContaining({
        therapistName: 'Meera Iyer',
        booked: 3,
        attended: 1,
        noShows: 0,
        lateCancellations: 1,
        cancellations: 1,
        open: 0,
        noShowRate: 0,
        lateCancellationRate: 50,
      }),
    ]);
    expect(json.total).toEqual({
      booked: 8,
      attended: 4,
      noShows: 1,
      lateCancellations: 1,
      cancellations: 1,
      open: 1,
      noShowRate: 16.7,
      lateCancellationRate: 16.7,
    });

    const csv = await clinic.roshni(['report', 'attendance', '--month', '2026-09', '--csv']);
    expect(csvLines(csv.stdout)).toEqual([
      'therapist,booked,attended,no_shows,late_cancellations,cancelled_in_time,open,no_show_rate_percent,late_cancellation_rate_percent',
      'Dr. Priya Sharma,5,3,1,0,0,1,25,0',
      'Meera Iyer,3,1,0,1,1,0,0,50',
      'Overall,8,4,1,1,1,1,16.7,16.7',
    ]);
    const table = await clinic.roshni(['report', 'attendance', '--month', '2026-09']);
    expect(table.stdout.split('\n').find((l) => l.startsWith('Overall'))).toMatch(/^Overall\s+8\s+4\s+1\s+1\s+1\s+1\s+16\.7%\s+16\.7%\s*$/);
  });

  it('patients: three new (first seen in September), one returning (seen in August)', async () => {
    const json = JSON.parse((await clinic.roshni(['report', 'patients', '--month', '2026-09', '--json'])).stdout);
    expect(json.total).toEqual({ seen: 4, new: 3, returning: 1 });
    expect(json.registered).toBe(1);
    expect(json.lines).toEqual([
      { therapistId: clinic.clinic.speech.id, therapistName: 'Dr. Priya Sharma', seen: 3, new: 2, returning: 1 },
      { therapistId: clinic.clinic.physio.id, therapistName: 'Meera Iyer', seen: 1, new: 1, returning: 0 },
    ]);
    const csv = await clinic.roshni(['report', 'patients', '--month', '2026-09', '--csv']);
    expect(csvLines(csv.stdout)).toEqual(['therapist,seen,new,returning', 'Dr. Priya Sharma,3,2,1', 'Meera Iyer,1,1,0', 'Clinic (each patient once),4,3,1']);
    const table = await clinic.roshni(['report', 'patients', '--month', '2026-09']);
    expect(table.stdout).toContain('Registered in the period: 1.');
    // August: Patient 001 alone, new then.
    const august = JSON.parse((await clinic.roshni(['report', 'patients', '--month', '2026-08', '--json'])).stdout);
    expect(august.total).toEqual({ seen: 1, new: 1, returning: 0 });
  });

  it('dues: ₹200 refunded to Patient 002 is owed again; package balances: 9 of 10 left, worth ₹8,100', async () => {
    const dues = await clinic.roshni(['report', 'dues', '--json']);
    expect(JSON.parse(dues.stdout).total).toEqual({ patients: 1, sessions: 1, duePaise: 20000, upcomingPaise: 0 });
    const duesCsv = await clinic.roshni(['report', 'dues', '--csv'], 'desk');
    expect(duesCsv.code).toBe(0);
    expect(csvLines(duesCsv.stdout)).toEqual([
      'patient_number,patient_name,due_rupees,sessions,oldest_session,upcoming_rupees',
      'P-00002,Patient 002,200.00,1,2026-09-03,0.00',
      ',Total (1 patient),200.00,1,,0.00',
    ]);
    const duesTable = await clinic.roshni(['report', 'dues']);
    expect(duesTable.stdout).toMatch(/Patient 002 \(P-00002\)\s+₹200\.00\s+1/);

    const packages = JSON.parse((await clinic.roshni(['report', 'packages', '--json'])).stdout);
    expect(packages.lines).toEqual([
      expect.objectContaining({
        patientNumber: 'P-00004',
        plan: '10 speech sessions',
        status: 'active',
        sessionsTotal: 10,
        sessionsUsed: 1,
        sessionsLeft: 9,
        pricePaise: 900000,
        unusedValuePaise: 810000,
      }),
    ]);
    expect(packages.total).toEqual({ packages: 1, sessionsLeft: 9, unusedValuePaise: 810000 });
    const packagesCsv = await clinic.roshni(['report', 'packages', '--csv']);
    expect(csvLines(packagesCsv.stdout)[1]).toMatch(
      /^\d+,P-00004,Patient 004,10 speech sessions,Speech therapy session,active,10,1,9,\d{4}-\d{2}-\d{2},8100\.00$/,
    );
    const packagesTable = await clinic.roshni(['report', 'packages']);
    expect(packagesTable.stdout).toMatch(/Patient 004 \(P-00004\)\s+10 speech sessions\s+active\s+9\/10/);
    expect(packagesTable.stdout).toMatch(/Total.*₹8,100\.00/);
  });

  it('the monthly HTML report: one self-contained page with the figures and charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-report-'));
    const file = join(dir, 'report.html');
    const result = await clinic.roshni(['report', 'monthly', '--month', '2026-09', '--out', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Wrote the monthly report for September 2026 to ${file}.`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Sunrise Child Therapy');
    expect(html).toContain('September 2026');
    for (const figure of ['₹12,100.00', '₹12,300.00', '₹10,800.00', '₹1,300.00', '₹9,000.00', '₹200.00', '16.7%', '2%', '3.2%', '50%', '₹8,100.00']) {
      expect(html).toContain(figure);
    }
    expect(html).toContain('<td>Overall</td><td class="n">8</td><td class="n">4</td><td class="n">1</td><td class="n">1</td>');
    expect(html).toContain('<td>Clinic (each patient once)</td><td class="n">4</td><td class="n">3</td><td class="n">1</td>');
    expect(html.match(/<svg /g)?.length).toBe(5);
    // Self-contained: nothing fetched from anywhere, no script.
    expect(html).not.toMatch(/https?:|\/\/[a-z]|<script|<link|<img|@import|url\(/i);
    // The owner's page names no patient.
    expect(html).not.toMatch(/Patient 00|P-0000|\+9198/);

    const json = JSON.parse((await clinic.roshni(['report', 'monthly', '--month', '2026-09', '--json'])).stdout);
    expect(json).toMatchObject({ clinicName: 'Sunrise Child Therapy', month: '2026-09', dues: { duePaise: 20000 }, packages: { sessionsLeft: 9 } });
    expect(json.revenue.byMethod.total.netPaise).toBe(1210000);
    const stdout = await clinic.roshni(['report', 'monthly', '--month', '2026-09']);
    expect(stdout.stdout).toContain('<svg ');
  });

  it('writes the monthly page only where it may: never over a file without --force, a missing folder refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-report-out-'));
    const file = join(dir, 'old.html');
    writeFileSync(file, 'an older page', { mode: 0o644 });
    const kept = await clinic.roshni(['report', 'monthly', '--month', '2026-09', '--out', file]);
    expect(kept.code).toBe(4);
    expect(kept.stderr).toContain(`${file} already exists; choose another --out or add --force.`);
    expect(readFileSync(file, 'utf8')).toBe('an older page');
    const forced = await clinic.roshni(['report', 'monthly', '--month', '2026-09', '--out', file, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/);
    // Replaced, it is as private as a new page.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const nowhere = await clinic.roshni(['report', 'monthly', '--month', '2026-09', '--out', join(dir, 'missing', 'r.html')]);
    expect(nowhere.stderr).toContain(`Cannot write ${join(dir, 'missing', 'r.html')}: its folder does not exist.`);
    expect(nowhere.code).toBe(2);
  });

  it('is for the admin: reception sees dues and packages, not revenue; a therapist neither', async () => {
    const revenue = await clinic.roshni(['report', 'revenue', '--month', '2026-09'], 'desk');
    expect(revenue.code).toBe(5);
    expect(revenue.stderr).toContain("A receptionist may not read the clinic's reports (report.read: admin only).");
    expect((await clinic.roshni(['report', 'monthly', '--month', '2026-09', '--json'], 'desk')).code).toBe(5);
    expect((await clinic.roshni(['report', 'utilisation'], 'priya')).code).toBe(5);
    expect((await clinic.roshni(['report', 'dues'], 'priya')).code).toBe(5);
    expect((await clinic.roshni(['report', 'packages'], 'desk')).code).toBe(0);
  });

  it('refuses a malformed period or two output formats, naming the problem', async () => {
    const cases: Array<[string[], string]> = [
      [['report', 'revenue', '--month', '2026-13'], '--month: "2026-13" must be a month as YYYY-MM'],
      [['report', 'revenue', '--month', '2026-09', '--from', '2026-09-01'], 'give either a month or from/to'],
      [['report', 'attendance', '--to', '2026-09-01'], 'to: needs from as well'],
      [['report', 'patients', '--from', '2026-09-30', '--to', '2026-09-01'], 'to: must not be before from'],
      [['report', 'utilisation', '--from', '2026-02-30'], '--from: "2026-02-30" is not a real date'],
      [['report', 'revenue', '--csv', '--json'], '--csv and --json: choose one'],
      [['report', 'revenue', '--by', 'patient'], '--by: "patient": Allowed choices are method, service, day.'],
    ];
    for (const [argv, message] of cases) {
      const result = await clinic.roshni(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });
});
