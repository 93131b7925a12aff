import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { ExitCode } from '../cli/exit-codes.js';
import { writeLine } from '../cli/io.js';
import { positiveInt, withDateFilter } from '../cli/options.js';
import { keysAreData } from '../cli/json-keys.js';
import { emit, note, tableOr } from '../cli/output.js';
import { sessionAction, type CommandSession } from '../cli/session.js';
import { listAudit } from '../domain/audit/list-audit.js';
import { verifyAudit } from '../domain/audit/verify-audit.js';
import { anchorsPath } from '../infra/audit/anchors.js';
import { clinicDate, clinicTime } from '../domain/time.js';

interface AuditFlags {
  patient?: string;
  user?: string;
  from?: string;
  to?: string;
  limit?: number;
}

async function audit({ ctx, env }: CommandSession, flags: AuditFlags): Promise<number> {
  const lines = await listAudit(ctx, flags);
  // A stored row (before, after) keeps its own column names: they are what the database holds.
  const json = lines.map((l) => ({ ...l, before: keysAreData(l.before), after: keysAreData(l.after) }));
  emit(env, json, () =>
    tableOr(
      ['Id', 'When', 'Who', 'Action', 'Entity', 'Patient', 'Outcome'],
      lines.map((l) => [
        l.id,
        `${clinicDate(l.at, ctx.timezone)} ${clinicTime(l.at, ctx.timezone)}`,
        l.actorKind === 'staff'
          ? `${l.actorUsername ?? `staff ${l.actorId}`} (${l.actorRole})`
          : l.actorId == null
            ? l.actorKind
            : `${l.actorKind} ${l.actorId}`,
        l.action,
        l.entityId ? `${l.entity} ${l.entityId}` : l.entity,
        l.patientId ?? '',
        l.outcome,
      ]),
      'No audit entries match.',
    ),
  );
  return 0;
}

/** Seals what was committed, checks the whole hash chain and the anchors; exit 10 when it is broken. */
async function verify({ ctx, config, env }: CommandSession): Promise<number> {
  const report = await verifyAudit(ctx, { anchorsFile: anchorsPath(config.backupDir) });
  const head = report.head ? `; head at position ${report.head.position}, hash ${report.head.hash.slice(0, 16)}…` : '';
  emit(env, report, () =>
    report.firstBroken
      ? [
          `The audit log has been tampered with: ${report.firstBroken.detail}.`,
          `First broken link: position ${report.firstBroken.position} (${report.firstBroken.problem}); ${report.entries} entries before it are intact.`,
        ]
      : [
          `The audit log is intact: ${report.entries} entries on the chain (${report.sealed} sealed now)${head}.`,
          `${report.anchors.checked} anchor(s) checked in ${report.anchors.file}${report.anchors.recorded ? '; this head recorded there' : ''}.`,
        ],
  );
  if (report.anchors.error) note(env, `Could not record the head in ${report.anchors.file}: ${report.anchors.error}`);
  if (report.anchors.unreadable) note(env, `${report.anchors.unreadable} line(s) of ${report.anchors.file} are not anchors and were skipped.`);
  if (report.firstBroken) {
    writeLine(env.io.stderr, `roshni: the audit log's chain is broken at position ${report.firstBroken.position} (${report.firstBroken.problem})`);
    return ExitCode.auditChainBroken;
  }
  return ExitCode.ok;
}

export function register(program: Command, run: RunCommand): void {
  const group = program
    .command('audit')
    .description('The append-only audit log, newest first (admin); `audit verify` checks its hash chain')
    .option('--patient <ref>', 'entries about one patient (id, P-number, phone or name)')
    .option('--user <username>', 'entries by one staff user');
  withDateFilter(group).option('--limit <n>', 'at most this many entries (default 200)', positiveInt).action(sessionAction(run, audit));
  group
    .command('verify')
    .description("Check the audit log's hash chain and the anchors kept beside the backups (admin; exit 10 when broken)")
    .action(sessionAction(run, verify));
}
