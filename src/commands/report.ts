import { Option, type Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { writeText } from '../cli/io.js';
import { emit } from '../cli/output.js';
import { checkOutputFile, writeOutputFile } from '../cli/output-file.js';
import { count, hours, money, rate, reportAction, type Column, type ReportFlags, type ReportView } from '../cli/report-view.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import { attendanceReport, type AttendanceFigures } from '../domain/reports/attendance.js';
import { duesReport, type DuesLine } from '../domain/reports/dues.js';
import { monthlyReport } from '../domain/reports/monthly.js';
import { renderMonthlyHtml } from '../domain/reports/monthly-html.js';
import { packagesReport, type PackageLine } from '../domain/reports/packages.js';
import { patientsReport, type PatientFigures } from '../domain/reports/patients.js';
import type { ReportPeriod, ReportPeriodInput } from '../domain/reports/period.js';
import { REVENUE_GROUPINGS, revenueReport, type RevenueGrouping, type RevenueLine } from '../domain/reports/revenue.js';
import { utilisationReport, type UtilisationFigures } from '../domain/reports/utilisation.js';
import { clinicDate, formatFriendly } from '../domain/time.js';
import { dateValue, monthValue } from '../cli/options.js';

interface PeriodFlags extends ReportFlags {
  month?: string;
  from?: string;
  to?: string;
}

const therapistColumn = <R extends { therapistName: string }>(): Column<R> => ({ head: 'Therapist', csv: 'therapist', text: (l) => l.therapistName });

const periodOf = (flags: PeriodFlags): ReportPeriodInput => ({
  ...(flags.month !== undefined ? { month: flags.month } : {}),
  ...(flags.from !== undefined ? { from: flags.from } : {}),
  ...(flags.to !== undefined ? { to: flags.to } : {}),
});

const periodTitle = (what: string, period: ReportPeriod) =>
  period.from === period.to || period.label.includes(' to ') ? `${what}, ${period.label}` : `${what}, ${period.label} (${period.from} to ${period.to})`;

const revenue = reportAction(
  (ctx, flags: PeriodFlags & { by: RevenueGrouping }) => revenueReport(ctx, { ...periodOf(flags), by: flags.by }),
  (report): ReportView<RevenueLine> => {
    const head = { method: 'Method', service: 'Service', day: 'Date' }[report.by];
    return {
      title: periodTitle(`Revenue by ${report.by}`, report.period),
      columns: [
        { head, csv: head.toLowerCase(), text: (l) => l.label },
        count('Payments', 'payments', (l) => l.payments),
        money('Received', 'received_rupees', (l) => l.receivedPaise),
        count('Refunds', 'refunds', (l) => l.refunds),
        money('Refunded', 'refunded_rupees', (l) => l.refundedPaise),
        money('Net', 'net_rupees', (l) => l.netPaise),
      ],
      rows: report.lines,
      total: { key: 'total', label: 'Total', ...report.total },
      empty: 'No payments or refunds in this period.',
      notes: ['Payments by when they were paid; refunds by when they were paid back.'],
    };
  },
);

const dues = reportAction(
  (ctx) => duesReport(ctx),
  ({ lines, total }, ctx): ReportView<DuesLine> => ({
    title: `Outstanding dues, ${clinicDate(ctx.clock.now(), ctx.timezone)}`,
    columns: [
      { head: 'Patient', text: (l) => (l.patient_id ? `${l.patient_name} (${l.patient_number})` : l.patient_name) },
      { csv: 'patient_number', raw: (l) => l.patient_number },
      { csv: 'patient_name', raw: (l) => l.patient_name },
      money('Owes', 'due_rupees', (l) => l.due_paise),
      count('Sessions', 'sessions', (l) => l.sessions),
      {
        head: 'Since',
        csv: 'oldest_session',
        text: (l) => (l.patient_id ? formatFriendly(l.oldest, ctx.timezone) : ''),
        raw: (l) => (l.patient_id ? clinicDate(l.oldest, ctx.timezone) : ''),
      },
      money('Upcoming booked', 'upcoming_rupees', (l) => l.upcoming_paise),
    ],
    rows: lines,
    total: {
      patient_id: 0,
      patient_number: '',
      patient_name: `Total (${total.patients} ${total.patients === 1 ? 'patient' : 'patients'})`,
      due_paise: total.duePaise,
      sessions: total.sessions,
      oldest: new Date(0),
      upcoming_paise: total.upcomingPaise,
    },
    empty: 'Nobody owes anything.',
  }),
);

const utilisation = reportAction(
  (ctx, flags: PeriodFlags) => utilisationReport(ctx, periodOf(flags)),
  (report): ReportView<UtilisationFigures & { therapistName: string }> => ({
    title: periodTitle('Therapist utilisation', report.period),
    columns: [
      therapistColumn(),
      hours('Available h', 'available_hours', (l) => l.availableMinutes),
      hours('Booked h', 'booked_hours', (l) => l.bookedMinutes),
      hours('Attended h', 'attended_hours', (l) => l.attendedMinutes),
      rate('Utilisation', 'utilisation_percent', (l) => l.utilisationPercent),
    ],
    rows: report.lines,
    total: { therapistName: 'Total', ...report.total },
    empty: 'No therapists.',
    notes: ['Available: working hours less holidays and leave. Booked: appointments not cancelled (no-shows included).'],
  }),
);

const attendance = reportAction(
  (ctx, flags: PeriodFlags) => attendanceReport(ctx, periodOf(flags)),
  (report): ReportView<AttendanceFigures & { therapistName: string }> => ({
    title: periodTitle('No-shows and late cancellations', report.period),
    columns: [
      therapistColumn(),
      count('Booked', 'booked', (l) => l.booked),
      count('Attended', 'attended', (l) => l.attended),
      count('No-shows', 'no_shows', (l) => l.noShows),
      count('Late cancellations', 'late_cancellations', (l) => l.lateCancellations),
      count('Cancelled in time', 'cancelled_in_time', (l) => l.cancellations),
      count('Open', 'open', (l) => l.open),
      rate('No-show rate', 'no_show_rate_percent', (l) => l.noShowRate),
      rate('Late-cancellation rate', 'late_cancellation_rate_percent', (l) => l.lateCancellationRate),
    ],
    rows: report.lines,
    total: { therapistName: 'Overall', ...report.total },
    empty: 'No appointments in this period.',
    notes: ['Rates are of the appointments due to happen: attended, no-show or cancelled late. Open: still scheduled or confirmed.'],
  }),
);

const patients = reportAction(
  (ctx, flags: PeriodFlags) => patientsReport(ctx, periodOf(flags)),
  (report): ReportView<PatientFigures & { therapistName: string }> => ({
    title: periodTitle('New and returning patients', report.period),
    columns: [therapistColumn(), count('Seen', 'seen', (l) => l.seen), count('New', 'new', (l) => l.new), count('Returning', 'returning', (l) => l.returning)],
    rows: report.lines,
    total: { therapistName: 'Clinic (each patient once)', ...report.total },
    empty: `No patient was seen in this period. Registered in the period: ${report.registered}.`,
    notes: [`New: first session at the clinic in this period. Registered in the period: ${report.registered}.`],
  }),
);

const packages = reportAction(
  (ctx, flags: ReportFlags & { all?: boolean }) => packagesReport(ctx, { all: Boolean(flags.all) }),
  ({ lines, total }, ctx, flags): ReportView<PackageLine> => ({
    title: `Package balances${flags.all ? '' : ' (active packages)'}, ${clinicDate(ctx.clock.now(), ctx.timezone)}`,
    columns: [
      { head: 'Package', csv: 'package_id', text: (l) => (l.id ? l.id : 'Total') },
      { head: 'Patient', text: (l) => (l.id ? `${l.patientName} (${l.patientNumber})` : `${total.packages} package(s)`) },
      { csv: 'patient_number', raw: (l) => l.patientNumber },
      { csv: 'patient_name', raw: (l) => l.patientName },
      { head: 'Plan', csv: 'plan', text: (l) => l.plan },
      { csv: 'service', raw: (l) => l.service },
      { head: 'Status', csv: 'status', text: (l) => l.status },
      { csv: 'sessions_total', raw: (l) => l.sessionsTotal },
      { csv: 'sessions_used', raw: (l) => l.sessionsUsed },
      { head: 'Left', csv: 'sessions_left', text: (l) => (l.id ? `${l.sessionsLeft}/${l.sessionsTotal}` : l.sessionsLeft), raw: (l) => l.sessionsLeft },
      { head: 'Expires', csv: 'expires_on', text: (l) => (l.lapsed ? `${l.expiresOn} (lapsed)` : l.expiresOn), raw: (l) => l.expiresOn },
      money('Unused value', 'unused_value_rupees', (l) => l.unusedValuePaise),
    ],
    rows: lines,
    total: {
      id: 0,
      patientNumber: '',
      patientName: '',
      plan: '',
      service: '',
      status: '',
      sessionsTotal: 0,
      sessionsUsed: 0,
      sessionsLeft: total.sessionsLeft,
      expiresOn: '',
      lapsed: false,
      pricePaise: 0,
      unusedValuePaise: total.unusedValuePaise,
    },
    empty: 'No packages.',
    notes: ['Unused value: the price of the sessions left, pro rata.'],
  }),
);

async function monthly({ ctx, env }: CommandSession, flags: { month?: string; out?: string; force?: boolean }): Promise<number> {
  const target = flags.out ? await checkOutputFile(flags.out, Boolean(flags.force)) : undefined;
  const report = await monthlyReport(ctx, flags.month !== undefined ? { month: flags.month } : {});
  const html = renderMonthlyHtml(report);
  if (target) {
    await writeOutputFile(target, html, Boolean(flags.force));
    emit(env, { ...report, file: target }, () => `Wrote the monthly report for ${report.period.label} to ${target}.`);
  } else if (env.json) {
    emit(env, report, () => '');
  } else {
    writeText(env.io.stdout, html);
  }
  return 0;
}

function withPeriod(command: Command): Command {
  return command
    .option('--month <YYYY-MM>', 'a month (default: the current month)', monthValue)
    .option('--from <date>', 'first clinic date, YYYY-MM-DD', dateValue)
    .option('--to <date>', 'last clinic date, inclusive (default: --from)', dateValue)
    .option('--csv', 'print CSV instead of a table');
}

export function register(program: Command, run: RunCommand): void {
  const report = program.command('report').description('Reports: revenue, dues, utilisation, attendance, patients, packages, monthly');
  withPeriod(report.command('revenue').description('Payments less refunds, by method, service or day (admin)'))
    .addOption(new Option('--by <grouping>', 'method, service or day').choices([...REVENUE_GROUPINGS]).default('method'))
    .action(run(revenue));
  report.command('dues').description('Who owes what for sessions attended, with totals').option('--csv', 'print CSV instead of a table').action(run(dues));
  withPeriod(report.command('utilisation').description("Therapists' booked vs available hours (admin)")).action(run(utilisation));
  withPeriod(report.command('attendance').description('No-show and late-cancellation rates per therapist and overall (admin)')).action(run(attendance));
  withPeriod(report.command('patients').description('New vs returning patients seen (admin)')).action(run(patients));
  report
    .command('packages')
    .description('Package balances: sessions left and their value')
    .option('--all', 'every package, not only active ones')
    .option('--csv', 'print CSV instead of a table')
    .action(run(packages));
  report
    .command('monthly')
    .description("The owner's one-page HTML report of a month, with charts (admin)")
    .option('--month <YYYY-MM>', 'the month (default: last month)', monthValue)
    .option('--out <file>', 'write the HTML to this file (default: print it)')
    .option('--force', 'overwrite an existing file')
    .action(sessionAction(run, monthly));
}
