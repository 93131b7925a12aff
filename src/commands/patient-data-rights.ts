import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { emit, table, yellow } from '../cli/output.js';
import { checkOutputFile, outputFileError } from '../cli/output-file.js';
import { askConfirm, PromptCancelledError, requireFlag } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { erasePatient } from '../domain/data-rights/erase.js';
import type { WithdrawnForErasure } from '../domain/data-rights/erase-pending.js';
import { withRazorpay } from './pay-online.js';
import { exportPatientData } from '../domain/data-rights/export.js';
import { applyRetention, patientsPastRetention } from '../domain/data-rights/retention.js';
import { readableSize } from '../domain/documents/documents.js';
import { InvalidInputError } from '../domain/errors.js';
import { authorize } from '../domain/policy.js';
import { patientFor } from '../cli/pick-person.js';
import { clinicDate } from '../domain/time.js';
import { writeZipFile } from '../infra/archive/zip-file.js';
import { withDocuments } from './documents.js';

// `roshni patient export|erase|retention`: patients' data rights under the DPDP Act 2023.

/** An irreversible step: confirmed on a terminal, or by --yes in a script. */
async function confirmed(env: CommandEnv, yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!env.interactive) throw new InvalidInputError('This cannot be undone: add --yes to confirm (there is no terminal to ask).');
  if (!(await askConfirm(question))) throw new PromptCancelledError();
}

async function exportData(env: CommandEnv, ref: string, flags: { out?: string; force?: boolean }): Promise<number> {
  return withSession(env, async (session) => {
    const ctx = withDocuments(session);
    const patient = await patientFor(env, ctx, ref);
    const overwrite = Boolean(flags.force);
    // The target is checked before the (audited) export: a folder that is missing is no export.
    const target = await checkOutputFile(flags.out ?? `${patient.patient_number}-export-${clinicDate(ctx.clock.now(), ctx.timezone)}.zip`, overwrite);
    const data = await exportPatientData(ctx, { patientId: patient.id });
    const written = await writeZipFile(
      target,
      data.entries,
      () => ({
        format: 'roshni-patient-export',
        version: 1,
        patient: data.patient,
        generatedAt: data.generatedAt.toISOString(),
        note: 'Every file of this archive is listed with its SHA-256; data/*.json are the records as stored, documents/ the files.',
      }),
      { overwrite, mtime: data.generatedAt },
    ).catch((error: unknown) => {
      throw outputFileError(target, error);
    });
    emit(
      env,
      { path: written.path, bytes: written.bytes, files: written.files },
      () => `Wrote ${data.patient.patientNumber}'s data to ${written.path}: ${written.files.length} files and manifest.json, ${readableSize(written.bytes)}.`,
    );
    return 0;
  });
}

async function erase(env: CommandEnv, ref: string, flags: { reason?: string; yes?: boolean }): Promise<number> {
  // With Razorpay's keys when configured: an open payment link is cancelled there before the erasure.
  return withRazorpay(
    env,
    async (gateway, session) => {
      const ctx = { ...withDocuments(session), paymentGateway: gateway.paymentGateway };
      authorize(ctx.actor, 'patient.erase'); // before any question is asked
      const patient = await patientFor(env, ctx, ref);
      const reason = await requireFlag(env, flags.reason, '--reason', { message: 'Why is the patient erased (e.g. "Request by the patient, 12 Nov")?' });
      if (!flags.yes && env.interactive)
        writeLine(
          env.io.stderr,
          yellow(
            env,
            `Erasing ${patient.patient_number} ${patient.full_name}: name, contacts, notes, assessments, documents and chats go; payments, refunds and receipts stay.`,
          ),
        );
      await confirmed(env, flags.yes, `Erase ${patient.patient_number} ${patient.full_name}'s personal data? This cannot be undone.`);
      const done = await erasePatient(ctx, { patientId: patient.id, reason });
      await copyErasureBesideBackups(env, ctx, session.config.backupDir);
      emit(env, done, () => [
        `Erased ${done.patientNumber}: ${done.documents} document(s), ${done.chats} chat(s); ${done.guardiansErased.length} guardian(s) erased, ${done.guardiansKept.length} kept (they have other children here). Payments and receipts are kept.`,
        ...withdrawnLine(done.withdrawn),
      ]);
    },
    { optional: true, whenRefused: 'Nothing was erased; try again in a moment.' },
  );
}

function withdrawnLine(withdrawn: WithdrawnForErasure): string[] {
  const parts = [
    [withdrawn.messages, 'message(s) not sent'],
    [withdrawn.offers, 'waitlist offer(s)'],
    [withdrawn.waitlistEntries, 'waitlist entr(ies)'],
    [withdrawn.paymentRequests, 'payment request(s)'],
  ].filter(([n]) => Number(n) > 0);
  return parts.length ? [`Withdrawn: ${parts.map(([n, what]) => `${n} ${what}`).join(', ')}.`] : [];
}

/**
 * The erasure, copied to erasures.jsonl beside the backups (the database's ledger already has it): a
 * restore that loses the database's ledger still applies it again. A failure is said, not fatal.
 */
async function copyErasureBesideBackups(env: CommandEnv, ctx: Parameters<typeof erasePatient>[0], backupDir: string): Promise<void> {
  try {
    const { syncErasureFile } = await import('../infra/backup/erasure-reapplication.js');
    await syncErasureFile(ctx, backupDir);
  } catch (error) {
    writeLine(
      env.io.stderr,
      `roshni: the erasure is recorded in the database's erasure ledger, but not copied beside the backups (${(error as Error).message}); the next backup copies it.`,
    );
  }
}

async function retention(env: CommandEnv, flags: { apply?: boolean; yes?: boolean }): Promise<number> {
  return withSession(env, async (session) => {
    const ctx = withDocuments(session);
    const due = await patientsPastRetention(ctx);
    const since = clinicDate(due.cutoff, ctx.timezone);
    if (!flags.apply || !due.patients.length) {
      emit(env, due, () =>
        due.patients.length
          ? [
              `Patients with no activity since ${since} (retention ${due.years} years): ${due.patients.length}`,
              table(
                ['Patient', 'Name', 'Last activity'],
                due.patients.map((p) => [p.patientNumber, p.fullName, clinicDate(p.lastActivityAt, ctx.timezone)]),
              ),
              'Erase them with `roshni patient retention --apply`.',
            ]
          : `No patient past the retention period (${due.years} years: no activity since ${since}).`,
      );
      return 0;
    }
    await confirmed(env, flags.yes, `Erase the personal data of ${due.patients.length} patient(s) with no activity since ${since}?`);
    const applied = await applyRetention(ctx);
    await copyErasureBesideBackups(env, ctx, session.config.backupDir);
    emit(env, applied, () => `Erased ${applied.erased.length} patient(s): ${applied.erased.map((e) => e.patientNumber).join(', ')}.`);
    return 0;
  });
}

export function registerDataRights(patient: Command, run: RunCommand): void {
  patient
    .command('export')
    .argument('<patient>', 'id, P-number, phone or part of the name')
    .description('Everything about the patient as a zip with a manifest (DPDP right to access); admins')
    .option('--out <file.zip>', 'where to write it (default ./<P-number>-export-<date>.zip)')
    .option('--force', 'overwrite an existing file')
    .action(run(exportData));
  patient
    .command('erase')
    .argument('<patient>', 'id, P-number, phone or part of the name')
    .description('Erase the patient’s personal data, keeping the financial records the law requires; admins')
    .option('--reason <text>', 'why (kept in the audit log)')
    .option('--yes', 'confirm without asking (scripts)')
    .action(run(erase));
  patient
    .command('retention')
    .description('Patients with no activity for longer than the retention period; --apply erases them')
    .option('--apply', 'erase them')
    .option('--yes', 'confirm without asking (scripts)')
    .action(run(retention));
}
