import { InvalidArgumentError, type Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { ExitCode } from '../cli/exit-codes.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { keysAreData } from '../cli/json-keys.js';
import { emit, note, table } from '../cli/output.js';
import { sessionAction, withSession, type CommandSession } from '../cli/session.js';
import { authorize } from '../domain/policy.js';
import { loadConfig, type Config } from '../infra/config.js';
import type { BackupKind } from '../infra/backup/backup-header.js';
import type { TrustFlags } from '../infra/backup/backup-trust.js';

const KINDS = ['manual', 'daily', 'weekly', 'monthly'] as const;

function kindOf(value: string): BackupKind {
  if (!(KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${KINDS.join(', ')}.`);
  return value as BackupKind;
}

/** Backups dated after now: the clock was ahead when they were made, or is behind now. */
export function futureDatedWarning(count: number): string {
  return `Clock problem: ${count} backup(s) are dated in the future (the clock was ahead when they were made, or is behind now). They are never \`latest\` and never rotated away: check the clock, then remove or keep them by hand.`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes == null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

export function formatAge(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} d`;
}

async function create(env: CommandEnv, flags: { type: BackupKind }): Promise<number> {
  return withSession(
    env,
    async ({ config, database, ctx }) => {
      authorize(ctx.actor, 'backup.manage');
      const { createBackup } = await import('../infra/backup/backups.js');
      note(env, `Backing up the ${database.kind === 'embedded' ? 'embedded database' : 'PostgreSQL database'} to ${config.backupDir}…`);
      const made = await createBackup(database, config, { kind: flags.type, clock: ctx.clock });
      const rows = Object.values(made.tables).reduce((a, b) => a + b, 0);
      emit(env, { ...made, tables: keysAreData(made.tables) }, () => [
        `Backup ${made.id} written: ${made.file}`,
        `${formatBytes(made.sizeBytes)}, ${Object.keys(made.tables).length} tables, ${rows} rows, ${made.encrypted ? 'encrypted' : 'not encrypted'}, sha256 ${made.sha256}.`,
        ...(made.rotated.length ? [`Rotated away ${made.rotated.length} older ${flags.type} backup(s).`] : []),
      ]);
      return ExitCode.ok;
    },
    { acting: 'owner' },
  );
}

interface TrustOptions {
  allowUnencrypted?: boolean;
  fileFromElsewhere?: boolean;
}

function trustOf(flags: TrustOptions): TrustFlags {
  return { allowUnencrypted: Boolean(flags.allowUnencrypted), fileFromElsewhere: Boolean(flags.fileFromElsewhere) };
}

async function verify(env: CommandEnv, ref: string, flags: TrustOptions): Promise<number> {
  return withSession(
    env,
    async ({ config, ctx }) => {
      authorize(ctx.actor, 'backup.manage');
      const [{ verifyBackup }, { chooseBackupFile }, { readBackupLog }, { gatherErasures }] = await Promise.all([
        import('../infra/backup/backups.js'),
        import('../infra/backup/backup-choice.js'),
        import('../infra/backup/backup-trust.js'),
        import('../infra/backup/erasure-reapplication.js'),
      ]);
      const trust = trustOf(flags);
      const file = await chooseBackupFile(config, ref, ctx.clock.now(), await readBackupLog(ctx.db), trust, (line) => note(env, line));
      note(env, `Restoring ${file} into a scratch database…`);
      const { entries: erasures } = await gatherErasures(ctx.db, config.backupDir, ctx.clock);
      const result = await verifyBackup(file, config, ctx.clock, { db: ctx.db, trust, erasures });
      result.notes.forEach((line) => note(env, line));
      emit(env, result, () => [
        ...(result.tables.length
          ? [
              table(
                ['Table', 'Manifest', 'Restored'],
                result.tables.map((t) => [t.table, t.expected, t.actual ?? 'missing']),
              ),
              '',
            ]
          : []),
        ...(result.checksums.length
          ? [
              `Checksums of ${result.checksums.map((c) => c.table).join(', ')}: ${result.checksums.every((c) => c.actual === c.expected) ? 'as in the manifest' : 'NOT as in the manifest'}.`,
            ]
          : []),
        result.ok
          ? `Verified: ${file} restores with the row counts${result.checksums.length ? ' and checksums' : ''} of its manifest.`
          : `NOT verified: ${result.problem}`,
        ...(result.erasedPatients ? [erasedPatientsLine(result.erasedPatients)] : []),
      ]);
      if (!result.ok) writeLine(env.io.stderr, `roshni: backup ${file} failed verification: ${result.problem}`);
      return result.ok ? ExitCode.ok : ExitCode.unexpected;
    },
    { acting: 'owner' },
  );
}

/** What `backup verify` says of the erased patients a backup still holds (the erasure ledger). */
export function erasedPatientsLine(erased: { recorded: number; stillHeld: number; patientNumbers: string[] }): string {
  if (!erased.stillHeld) return `Erased patients: the backup holds none of the ${erased.recorded} the erasure ledger records.`;
  return `Erased patients: the backup still holds ${erased.stillHeld} of the ${erased.recorded} the erasure ledger records (${erased.patientNumbers.join(', ')}); a restore of it erases them again.`;
}

/** What a restore says of the erasures it applied again (src/infra/backup/erasure-reapplication.ts). */
function erasureLines(erasures: NonNullable<import('../infra/backup/restore.js').RestoreResult['erasures']>): string[] {
  const lines: string[] = [];
  if (erasures.reErased.length) {
    lines.push(
      `Erased again: ${erasures.reErased.length} patient(s) erased after this backup was made: ${erasures.reErased.map((e) => `${e.patientNumber} (erased ${e.erasedAt.slice(0, 10)} by ${e.erasedBy})`).join(', ')}.`,
    );
  } else {
    lines.push(`Erased again: none (the erasure ledger records ${erasures.recorded} erasure(s); the backup holds none of those patients unerased).`);
  }
  if (erasures.ledgerRowsPutBack) lines.push(`The erasure ledger has its ${erasures.ledgerRowsPutBack} entry(ies) recorded after the backup back.`);
  if (erasures.mismatched.length)
    lines.push(`Not erased again: ${erasures.mismatched.join(', ')} (the patient with that id has another P-number in this backup): check by hand.`);
  return lines;
}

/** What a restore recorded in the restored database (src/infra/backup/restore-record.ts). */
function recordLines(recorded: NonNullable<import('../infra/backup/restore.js').RestoreResult['recorded']>): string[] {
  const kept = [
    ...(recorded.verificationsKept ? [`${recorded.verificationsKept} verification(s)`] : []),
    ...(recorded.backupsPutBack ? [`${recorded.backupsPutBack} backup(s) made after it`] : []),
  ];
  return [
    `Recorded in the audit log (entry ${recorded.auditId}) as restored by ${recorded.by ? recorded.by.username : 'nobody signed in on this machine'}.`,
    ...(kept.length ? [`The backup log keeps what it recorded since this backup: ${kept.join(' and ')}.`] : []),
  ];
}

/** The audit chain's anchors start again from the restored head (src/infra/audit/anchors.ts). */
async function anchorRestored(env: CommandEnv, config: Config, file: string): Promise<void> {
  const [{ openDatabase }, { anchorRestore }] = await Promise.all([import('../infra/db/database.js'), import('../infra/audit/anchors.js')]);
  try {
    const database = await openDatabase(config);
    try {
      await anchorRestore(database.db, config.backupDir, file, env.io.clock.now());
    } finally {
      await database.close();
    }
  } catch (error) {
    note(
      env,
      `The audit log's anchors could not be marked for this restore (${(error as Error).message}): \`roshni audit verify\` may report the anchors recorded before it.`,
    );
  }
}

async function restore(env: CommandEnv, ref: string, flags: { force?: boolean } & TrustOptions): Promise<number> {
  const config = loadConfig(env.io.env);
  const [{ restoreBackup }, { readSessionFile, thisMachine }] = await Promise.all([
    import('../infra/backup/restore.js'),
    import('../cli/staff-session-file.js'),
  ]);
  const result = await restoreBackup(ref, config, {
    force: Boolean(flags.force),
    trust: trustOf(flags),
    progress: (line) => writeLine(env.io.stderr, line),
    clock: env.io.clock,
    // A restore acts as the database's owner; the member of staff signed in here, if any, is who it is audited as.
    who: { token: config.env.ROSHNI_SESSION ?? readSessionFile(config.home)?.token ?? '', machine: thisMachine() },
  });
  const file = result.file;
  if (result.ok) await anchorRestored(env, config, file);
  const wrongCounts = result.tables.filter((t) => t.actual !== t.expected).map((t) => t.table);
  emit(env, result, () => [
    result.ok
      ? `Restored ${file}: ${result.tables.length} tables with the row counts${result.schemaChecked ? ' and the schema' : ''} of its manifest.`
      : wrongCounts.length
        ? `Nothing was restored: ${file} loads with row counts other than its manifest's (${wrongCounts.join(', ')}); the database is as it was.`
        : `Nothing was restored: ${file} loads with a schema other than its manifest's (${result.schemaDifferences.join(', ')}); the database is as it was.`,
    ...(result.safetyBackup ? [`The replaced database was backed up first to ${result.safetyBackup}.`] : []),
    ...(result.previousDataDir ? [`The replaced data directory is kept at ${result.previousDataDir}.`] : []),
    ...(result.erasures ? erasureLines(result.erasures) : []),
    ...(result.recorded ? recordLines(result.recorded) : []),
  ]);
  return result.ok ? ExitCode.ok : ExitCode.unexpected;
}

async function list({ ctx, env }: CommandSession): Promise<number> {
  authorize(ctx.actor, 'backup.manage');
  const { listBackups } = await import('../infra/backup/backups.js');
  const now = ctx.clock.now();
  const entries = await listBackups(ctx.db, now);
  const future = entries.filter((e) => e.futureDated);
  emit(env, entries, () =>
    entries.length
      ? [
          table(
            ['Id', 'Backup', 'Type', 'Age', 'Size', 'State', 'Verified'],
            entries.map((e) => [
              e.id,
              e.name + (e.onDisk || e.state !== 'completed' ? '' : ' (file missing)'),
              e.kind,
              e.futureDated ? 'FUTURE' : formatAge(e.startedAt, now),
              formatBytes(e.sizeBytes),
              e.state + (e.encrypted ? ', encrypted' : ''),
              e.verifiedAt ? `yes, ${formatAge(e.verifiedAt, now)} ago` : e.verifyOk === false ? 'FAILED' : 'no',
            ]),
          ),
          ...(future.length ? ['', futureDatedWarning(future.length)] : []),
        ].join('\n')
      : 'No backups yet: make one with `roshni backup create`.',
  );
  return ExitCode.ok;
}

export function register(program: Command, run: RunCommand): void {
  const backup = program.command('backup').description('Backups of the whole database: create, list, verify, restore');
  backup
    .command('create')
    .description('Write a consistent, checksummed (and, with a passphrase, encrypted) backup; rotate old ones')
    .option('--type <type>', 'manual, daily, weekly or monthly (rotation keeps ROSHNI_BACKUP_KEEP_*)', kindOf, 'manual')
    .action(run(create));
  backup.command('list').description('Backups with their age, size, type and whether they were verified').action(sessionAction(run, list));
  const trusting = (command: Command) =>
    command
      .option('--allow-unencrypted', 'accept an unencrypted file although ROSHNI_BACKUP_PASSPHRASE is set (you know where it came from)')
      .option('--file-from-elsewhere', "accept a file this database's backup log does not record (another computer, a new database)");
  trusting(
    backup
      .command('verify')
      .argument('<file>', 'a backup file, or "latest" (the newest one the backup log records)')
      .description('Restore into a scratch database and compare row counts with the manifest'),
  ).action(run(verify));
  trusting(
    backup
      .command('restore')
      .argument('<file>', 'a backup file, or "latest" (the newest one the backup log records)')
      .option('--force', 'replace a database that is not empty'),
  )
    .description(
      'Restore a backup into the configured database (refuses a non-empty one without --force, a file Roshni did not record without --file-from-elsewhere)',
    )
    .action(run(restore));
}
