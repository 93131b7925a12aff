import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { positiveInt } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { sessionAction, withSession, type CommandSession } from '../cli/session.js';
import { InvalidInputError } from '../domain/errors.js';
import { listNotifications, retryNotifications } from '../domain/notifications/outbox-admin.js';
import { formatFriendly } from '../domain/time.js';

interface ListFlags {
  failed?: boolean;
  state?: 'pending' | 'sending' | 'sent' | 'failed' | 'skipped' | 'cancelled';
  limit?: number;
}

async function list({ ctx, env }: CommandSession, flags: ListFlags): Promise<number> {
  const state = flags.failed ? 'failed' : flags.state;
  const rows = await listNotifications(ctx, { ...(state ? { state } : {}), ...(flags.limit ? { limit: flags.limit } : {}) });
  emit(env, rows, () =>
    tableOr(
      ['Id', 'Kind', 'State', 'Channel', 'About', 'To', 'Appointment', 'Due', 'Tries', 'Last error'],
      rows.map((r) => [
        r.id,
        r.kind,
        r.state,
        r.channel ?? '',
        r.about_patient_number ?? '',
        recipientText(r),
        r.appointment_number ?? '',
        formatFriendly(r.due_at, ctx.timezone),
        r.attempts,
        r.last_error ?? '',
      ]),
      state ? `No ${state} notifications.` : 'The outbox is empty.',
    ),
  );
  return 0;
}

/** "the patient", "guardian (mother)", "staff anita": who hears it, as the desk says it. */
function recipientText(r: {
  patient_id: number | null;
  guardian_id: number | null;
  guardian_relationship: string | null;
  staff_username: string | null;
}): string {
  if (r.patient_id) return 'the patient';
  if (r.guardian_id) return r.guardian_relationship ? `guardian (${r.guardian_relationship})` : 'guardian';
  return r.staff_username ? `staff ${r.staff_username}` : 'staff';
}

async function retry(env: CommandEnv, id: string | undefined, flags: { allFailed?: boolean }): Promise<number> {
  if (!id && !flags.allFailed) throw new InvalidInputError('Name a notification id, or use --all-failed.');
  return withSession(env, async ({ ctx }) => {
    const ids = await retryNotifications(ctx, flags.allFailed ? { allFailed: true } : { id: positiveInt(id!) });
    emit(env, { retried: ids }, () =>
      ids.length ? `Queued again: ${ids.join(', ')}. The dispatcher sends them on its next pass.` : 'No failed notifications.',
    );
    return 0;
  });
}

export function register(program: Command, run: RunCommand): void {
  const group = program.command('notifications').description('The outbox: messages to patients, guardians and staff');
  group
    .command('list')
    .description('Messages, newest due first (ids and states only: no addresses or texts)')
    .option('--failed', 'only those that failed for good and need staff')
    .option('--state <state>', 'pending, sending, sent, failed, skipped or cancelled')
    .option('--limit <n>', 'how many (default 50)', positiveInt)
    .action(sessionAction(run, list));
  group
    .command('retry')
    .description('Queue a failed message again')
    .argument('[id]', 'notification id')
    .option('--all-failed', 'every failed message')
    .action(run(retry));
}
