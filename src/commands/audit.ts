import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveInt } from '../cli/options.js';
import { emit, table } from '../cli/output.js';
import { withSession } from '../cli/session.js';
import { listAudit } from '../domain/audit/list-audit.js';
import { clinicDate, clinicTime } from '../domain/time.js';

interface AuditFlags {
  patient?: string;
  user?: string;
  from?: string;
  to?: string;
  limit?: number;
}

async function audit(env: CommandEnv, flags: AuditFlags): Promise<number> {
  return withSession(env, async ({ ctx }) => {
    const lines = await listAudit(ctx, flags);
    emit(env, lines, () =>
      lines.length
        ? table(
            ['Id', 'When', 'Who', 'Action', 'Entity', 'Patient', 'Outcome'],
            lines.map((l) => [
              l.id,
              `${clinicDate(l.at, ctx.timezone)} ${clinicTime(l.at, ctx.timezone)}`,
              l.actorKind === 'staff' ? `${l.actorUsername ?? `staff ${l.actorId}`} (${l.actorRole})` : l.actorId == null ? l.actorKind : `${l.actorKind} ${l.actorId}`,
              l.action,
              l.entityId ? `${l.entity} ${l.entityId}` : l.entity,
              l.patientId ?? '',
              l.outcome,
            ]),
          )
        : 'No audit entries match.',
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('audit')
    .description('The append-only audit log, newest first (admin)')
    .option('--patient <ref>', 'entries about one patient (id, P-number, phone or name)')
    .option('--user <username>', 'entries by one staff user')
    .option('--from <date>', 'from this clinic date (YYYY-MM-DD)')
    .option('--to <date>', 'to this clinic date, inclusive')
    .option('--limit <n>', 'at most this many entries (default 200)', positiveInt)
    .action(run(audit));
}
