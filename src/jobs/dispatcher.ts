import { sql } from 'kysely';
import type { DomainContext } from '../domain/context.js';
import type { NotificationKind } from '../domain/notifications/enqueue.js';
import { quietUntil, type QuietHours } from '../domain/notifications/quiet-hours.js';
import { recipientOf } from '../domain/notifications/recipients.js';
import { sessionsOfReminder } from '../domain/notifications/reminder-sessions.js';
import { offerActionsInChat } from '../bot/engine/state-store.js';
import { whatsappChatId } from '../infra/channels/whatsapp-sender.js';
import { renderMessage, type TemplateContext } from '../domain/notifications/templates.js';
import { clinicDate } from '../domain/time.js';
import { ChannelError, type OutboundMessage } from '../infra/channels/channel.js';
import type { Channels } from '../infra/channels/from-config.js';
import type { ContactChannel, ContactLanguage } from '../infra/db/schema.js';

// The outbox's sender. Claims due rows with FOR UPDATE SKIP LOCKED (so any number of dispatchers
// share one outbox), marks them 'sending' under a lease, sends, and records the outcome only while
// it still holds the claim. A dispatcher that dies leaves its claims to expire; another takes them.
// Transient failures are retried with exponential backoff up to maxAttempts, then marked failed
// for staff (`roshni notifications list --failed`, `retry`). Logs carry ids, never people.

export const FALLBACK_ORDER: ContactChannel[] = ['whatsapp', 'telegram', 'sms', 'email'];

export interface DispatcherOptions {
  ctx: DomainContext;
  channels: Channels;
  /** Names this process in claimed_by. */
  instanceId: string;
  batchSize?: number;
  /** Messages sent at once (the channels pace themselves). */
  concurrency?: number;
  leaseMs?: number;
  maxAttempts?: number;
  /** First retry delay; doubles each attempt (capped at 6 h). */
  backoffMs?: number;
  pollMs?: number;
  log?: (line: string) => void;
}

interface ClaimedRow {
  id: number;
  idempotency_key: string;
  kind: NotificationKind;
  language: ContactLanguage;
  payload: Record<string, unknown>;
  attempts: number;
  appointment_id: number | null;
  guardian_id: number | null;
  preferred_channel: ContactChannel | null;
  phone: string | null;
  email: string | null;
  telegram_chat_id: string | null;
  whatsapp_id: string | null;
  sample: boolean;
  opted_out: boolean;
  appointment_live: boolean | null;
  appointment_starts_at: Date | null;
}

/** Kinds sent even in quiet hours: answers to someone who just wrote, and alerts to the clinic's admins. */
const URGENT_KINDS: ReadonlySet<NotificationKind> = new Set(['staff_reply', 'admin_alert']);

export interface DispatchTally {
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

export class Dispatcher {
  private readonly options: Required<Omit<DispatcherOptions, 'log'>> & Pick<DispatcherOptions, 'log'>;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  readonly tally: DispatchTally = { sent: 0, retried: 0, failed: 0, skipped: 0 };

  constructor(options: DispatcherOptions) {
    this.options = {
      batchSize: 20,
      concurrency: 4,
      leaseMs: 120_000,
      maxAttempts: 6,
      backoffMs: 30_000,
      pollMs: 1_000,
      ...options,
    };
  }

  /** Claims and sends until stop() is called. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let handled = 0;
        try {
          handled = await this.runOnce();
        } catch (error) {
          this.options.log?.(`dispatcher: ${(error as Error).message}`);
        }
        if (handled === 0 && this.running) await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
  }

  /** Stops claiming; sends in flight finish and are recorded; claims not yet started are released. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** One batch: claims due rows, sends them, records each. Returns how many were handled. */
  async runOnce(): Promise<number> {
    const rows = await this.claim();
    if (!rows.length) return 0;
    // The rows waiting in this batch stay ours while it lasts (paced channels and a 429's retry_after
    // can outlast the lease): their lease is renewed, so no other dispatcher takes them and sends
    // them again. A claim found lost (this process stalled past its lease) is not sent.
    const held = new Set(rows.map((r) => r.id));
    const heartbeat = setInterval(() => void this.renew(held).catch(() => {}), Math.max(10, this.options.leaseMs / 3));
    try {
      const context = await this.templateContext();
      let next = 0;
      const worker = async () => {
        while (next < rows.length) {
          const row = rows[next++]!;
          if (!held.has(row.id)) continue;
          if (!this.running && this.loop) await this.release(row);
          else await this.deliver(row, context);
          held.delete(row.id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, rows.length) }, worker));
    } finally {
      clearInterval(heartbeat);
    }
    return rows.length;
  }

  /** Extends the lease of rows this dispatcher still holds; forgets those it no longer does. */
  private async renew(held: Set<number>): Promise<void> {
    const ids = [...held];
    if (!ids.length) return;
    const { ctx, instanceId, leaseMs } = this.options;
    const kept = await ctx.db
      .updateTable('notifications')
      .set({ claimed_until: new Date(ctx.clock.now().getTime() + leaseMs) })
      .where('id', 'in', ids)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', instanceId)
      .returning('id')
      .execute();
    const still = new Set(kept.map((r) => r.id));
    for (const id of ids) if (!still.has(id)) held.delete(id);
  }

  private async templateContext(): Promise<TemplateContext & { quiet: QuietHours | null }> {
    const settings = await this.options.ctx.db
      .selectFrom('clinic_settings')
      .select(['name', 'phone', 'timezone', 'quiet_hours_start', 'quiet_hours_end'])
      .executeTakeFirst();
    return {
      clinicName: settings?.name ?? 'The clinic',
      clinicPhone: settings?.phone ?? null,
      timezone: settings?.timezone ?? this.options.ctx.timezone,
      quiet: settings ? { start: String(settings.quiet_hours_start), end: String(settings.quiet_hours_end) } : null,
    };
  }

  private async claim(): Promise<ClaimedRow[]> {
    const { ctx, instanceId, batchSize, leaseMs } = this.options;
    const now = ctx.clock.now();
    const { rows } = await sql<ClaimedRow>`
      WITH claimed AS (
        UPDATE notifications n
        SET state = 'sending', claimed_by = ${instanceId}, attempts = n.attempts + 1,
            claimed_until = ${now}::timestamptz + make_interval(secs => ${leaseMs / 1000})
        WHERE n.id IN (
          SELECT id FROM notifications
          WHERE (state = 'pending' AND coalesce(next_attempt_at, due_at) <= ${now}::timestamptz)
             OR (state = 'sending' AND claimed_until < ${now}::timestamptz)
          ORDER BY coalesce(next_attempt_at, due_at), id
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED)
        RETURNING n.*
      )
      SELECT c.id, c.idempotency_key, c.kind, coalesce(r.language, c.language) AS language, c.payload, c.attempts, c.appointment_id,
             coalesce(c.guardian_id, r.guardian_id) AS guardian_id,
             coalesce(p.preferred_channel, g.preferred_channel) AS preferred_channel,
             -- A sample person's stored phone and email may be a stranger's (migration 0016).
             CASE WHEN NOT coalesce(p.sample, g.sample, false) THEN coalesce(p.phone, g.phone, s.phone) END AS phone,
             CASE WHEN NOT coalesce(p.sample, g.sample, false) THEN coalesce(p.email, g.email, s.email) END AS email,
             coalesce(p.sample, g.sample, false) AS sample,
             coalesce(p.telegram_chat_id, g.telegram_chat_id) AS telegram_chat_id,
             coalesce(p.whatsapp_id, g.whatsapp_id) AS whatsapp_id,
             coalesce(p.reminders_opted_out_at, g.reminders_opted_out_at) IS NOT NULL AS opted_out,
             CASE WHEN a.id IS NULL THEN NULL
                  ELSE a.status IN ('scheduled', 'confirmed') AND a.starts_at > ${now}::timestamptz END AS appointment_live,
             a.starts_at AS appointment_starts_at
      FROM claimed c
      -- A row naming only the patient (a booking's confirmation) reaches whoever hears about that
      -- patient now: the adult patient, else the primary guardian.
      LEFT JOIN LATERAL ${recipientOf(sql`c.patient_id`, sql`${clinicDate(now, ctx.timezone)}::date`)} r
        ON c.guardian_id IS NULL AND c.staff_user_id IS NULL
      LEFT JOIN patients p ON p.id = CASE WHEN c.guardian_id IS NULL AND c.staff_user_id IS NULL THEN r.patient_id END AND p.erased_at IS NULL
      LEFT JOIN guardians g ON g.id = coalesce(c.guardian_id, r.guardian_id) AND g.erased_at IS NULL
      LEFT JOIN staff_users s ON s.id = c.staff_user_id AND s.active
      LEFT JOIN appointments a ON a.id = c.appointment_id
      ORDER BY c.id`.execute(ctx.db);
    return rows;
  }

  /** The channels to try, in order: the recipient's preference, then the clinic's fallback order. */
  private route(row: ClaimedRow): Array<{ channel: ContactChannel; address: string }> {
    const addresses: Record<ContactChannel, string | null> = {
      telegram: row.telegram_chat_id,
      whatsapp: row.whatsapp_id ?? row.phone,
      sms: row.phone,
      email: row.email,
    };
    const order = row.preferred_channel ? [row.preferred_channel, ...FALLBACK_ORDER.filter((c) => c !== row.preferred_channel)] : FALLBACK_ORDER;
    return order.filter((c) => this.options.channels[c] && addresses[c]).map((channel) => ({ channel, address: addresses[channel]! }));
  }

  private async deliver(row: ClaimedRow, context: TemplateContext & { quiet: QuietHours | null }): Promise<void> {
    if (row.kind === 'reminder' && (row.opted_out || row.appointment_live === false)) {
      return this.finish(row, 'skipped', { last_error: row.opted_out ? 'opted out of reminders' : 'appointment no longer upcoming' });
    }
    // Quiet hours: a message falling in them waits for their end (not counted as a try), unless it
    // is urgent; a reminder that would then come less than an hour before its session is skipped.
    const until = context.quiet && !URGENT_KINDS.has(row.kind) ? quietUntil(this.options.ctx.clock.now(), context.quiet, context.timezone) : null;
    if (until) {
      if (row.kind === 'reminder' && row.appointment_starts_at && until.getTime() > row.appointment_starts_at.getTime() - 3_600_000) {
        return this.finish(row, 'skipped', { last_error: 'quiet hours: no useful time left before the appointment' });
      }
      return this.finish(row, 'pending', { next_attempt_at: until, attempts: row.attempts - 1 });
    }
    const routes = this.route(row);
    if (!routes.length && row.sample) return this.finish(row, 'skipped', { last_error: 'a sample person (roshni demo): sent only to a chat linked to the bot' });
    if (!routes.length) return this.finish(row, 'failed', { last_error: 'no channel reaches this recipient' });
    const payload =
      row.kind === 'reminder' && row.appointment_id
        ? { ...row.payload, sessions: await sessionsOfReminder(this.options.ctx.db, { appointmentId: row.appointment_id, guardianId: row.guardian_id }, context.timezone) }
        : row.payload;
    const rendered = renderMessage(row.kind, row.language, payload, context);
    const message: OutboundMessage = { idempotencyKey: row.idempotency_key, kind: row.kind, ...rendered };
    const errors: string[] = [];
    let retryAfterMs: number | undefined;
    let retryable = false;
    for (const { channel, address } of routes) {
      try {
        const { providerMessageId } = await this.options.channels[channel]!.send(address, message);
        if (message.actions.length && (channel === 'telegram' || channel === 'whatsapp')) {
          await offerActionsInChat(this.options.ctx.db, channel, channel === 'whatsapp' ? whatsappChatId(address) : address, message.actions);
        }
        // Who heard it, for a row that named only the patient (a confirmation resolved to a guardian at sending).
        const heardBy = row.guardian_id ? { guardian_id: row.guardian_id } : {};
        return this.finish(row, 'sent', { channel, provider_message_id: providerMessageId, sent_at: this.options.ctx.clock.now(), last_error: null, ...heardBy });
      } catch (error) {
        if (!(error instanceof ChannelError)) {
          errors.push(`${channel}: unexpected error`);
          this.options.log?.(`dispatcher: notification ${row.id} on ${channel}: ${(error as Error).name}`);
          retryable = true;
          continue;
        }
        errors.push(error.message);
        // A transient failure is retried on the same channel later rather than jumping to another.
        if (error.retryable) {
          retryable = true;
          retryAfterMs = error.retryAfterMs;
          break;
        }
      }
    }
    const lastError = errors.join('; ').slice(0, 500);
    if (retryable && row.attempts < this.options.maxAttempts) {
      const backoff = Math.min(this.options.backoffMs * 2 ** (row.attempts - 1), 6 * 3_600_000);
      const delay = Math.max(backoff, retryAfterMs ?? 0);
      return this.finish(row, 'pending', { last_error: lastError, next_attempt_at: new Date(this.options.ctx.clock.now().getTime() + delay) });
    }
    return this.finish(row, 'failed', { last_error: lastError });
  }

  private async finish(
    row: ClaimedRow,
    state: 'sent' | 'pending' | 'failed' | 'skipped',
    fields: {
      channel?: ContactChannel;
      provider_message_id?: string;
      sent_at?: Date;
      last_error?: string | null;
      next_attempt_at?: Date;
      attempts?: number;
      guardian_id?: number;
    },
  ): Promise<void> {
    await this.options.ctx.db
      .updateTable('notifications')
      .set({ state, claimed_by: null, claimed_until: null, ...fields })
      .where('id', '=', row.id)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', this.options.instanceId)
      .execute();
    if (state === 'sent') this.tally.sent++;
    else if (state === 'pending') this.tally.retried++;
    else if (state === 'failed') this.tally.failed++;
    else this.tally.skipped++;
    if (state !== 'sent') this.options.log?.(`dispatcher: notification ${row.id} ${state === 'pending' ? 'will be retried' : state}`);
  }

  /** Gives a claimed row back untouched (shutting down before sending it). */
  private async release(row: ClaimedRow): Promise<void> {
    await this.options.ctx.db
      .updateTable('notifications')
      .set((eb) => ({ state: 'pending', claimed_by: null, claimed_until: null, attempts: eb('attempts', '-', 1) }))
      .where('id', '=', row.id)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', this.options.instanceId)
      .execute();
  }
}
