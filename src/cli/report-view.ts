import { toCsv } from './csv.js';
import type { CommandEnv } from './io.js';
import { emit, table } from './output.js';
import { withSession } from './session.js';
import type { DomainContext } from '../domain/context.js';
import { InvalidInputError } from '../domain/errors.js';
import { decimalRupees, formatRupees } from '../domain/money.js';
import { formatHours, formatPercent } from '../domain/reports/period.js';

// How `roshni report …` shows a report: its columns, as a terminal table, as CSV with --csv, and its
// data with --json (src/commands/report.ts says which report has which columns).

type Cell = string | number | null;

/** One column of a report: in the terminal table (head), in the CSV (csv), or both. */
export interface Column<R> {
  head?: string;
  csv?: string;
  text?: (row: R) => Cell;
  /** The CSV value (plain numbers, no ₹ or grouping); the table's text when left out. */
  raw?: (row: R) => Cell;
}

export interface ReportFlags {
  csv?: boolean;
}

export function money<R>(head: string, csv: string, paise: (row: R) => number): Column<R> {
  return { head, csv, text: (r) => formatRupees(paise(r)), raw: (r) => decimalRupees(paise(r)) };
}

export function rate<R>(head: string, csv: string, value: (row: R) => number | null): Column<R> {
  return { head, csv, text: (r) => formatPercent(value(r)), raw: (r) => value(r) };
}

export function hours<R>(head: string, csv: string, minutes: (row: R) => number): Column<R> {
  return { head, csv, text: (r) => formatHours(minutes(r)), raw: (r) => Math.round((minutes(r) / 60) * 100) / 100 };
}

export const count = <R>(head: string, csv: string, value: (row: R) => number): Column<R> => ({ head, csv, text: value });

/** How a report shows: a terminal table (with a title and notes), CSV with --csv; its data with --json. */
export interface ReportView<R> {
  title: string;
  columns: Array<Column<R>>;
  rows: R[];
  total?: R;
  empty: string;
  notes?: string[];
}

function render<R>(env: CommandEnv, flags: ReportFlags, data: unknown, view: ReportView<R>): void {
  const { columns, rows, total } = view;
  const all = total && rows.length ? [...rows, total] : rows;
  if (flags.csv) {
    const csvColumns = columns.filter((c) => c.csv);
    // Written as it is, CRLF and all: toCsv cleans every cell of what could act on a terminal.
    env.io.stdout.write(
      toCsv(
        csvColumns.map((c) => c.csv!),
        all.map((r) => csvColumns.map((c) => (c.raw ?? c.text)!(r))),
      ),
    );
    return;
  }
  const tableColumns = columns.filter((c) => c.head !== undefined);
  emit(env, data, () =>
    rows.length
      ? [
          view.title,
          table(
            tableColumns.map((c) => c.head!),
            all.map((r) => tableColumns.map((c) => (c.text ?? c.raw)!(r) ?? '')),
          ),
          ...(view.notes ?? []),
        ]
      : [view.title, view.empty],
  );
}

/** A report command: fetch the report in a session, then show it as its view says. */
export function reportAction<F extends ReportFlags, D, R>(
  fetch: (ctx: DomainContext, flags: F) => Promise<D>,
  view: (report: D, ctx: DomainContext, flags: F) => ReportView<R>,
) {
  return async (env: CommandEnv, flags: F): Promise<number> => {
    if (flags.csv && env.json) throw new InvalidInputError('--csv and --json: choose one.');
    return withSession(env, async ({ ctx }) => {
      const report = await fetch(ctx, flags);
      render(env, flags, report, view(report, ctx, flags));
      return 0;
    });
  };
}
