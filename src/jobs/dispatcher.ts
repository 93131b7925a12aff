import type { DomainContext } from '../domain/context.js';
import type { ChatOffers } from '../domain/notifications/chat-offers.js';
import { deliverySettings, planDelivery, type DeliveryPlan } from '../domain/notifications/delivery-content.js';
import { offersRepliesInChat, type DeliverySettings, type Route } from '../domain/notifications/delivery-plan.js';
import { ChannelError, sleep, type OutboundMessage } from '../infra/channels/channel.js';
import { chatOffersInConversations } from '../infra/channels/chat-offers.js';
import type { Channels } from '../infra/channels/from-config.js';
import { isConnectionLoss } from '../infra/db/connection-loss.js';
import type { ContactChannel } from '../infra/db/schema.js';
import type { Log } from '../infra/log.js';
import { OutboxClaims, type ClaimedRow, type Outcome, type OutcomeFields } from '../domain/notifications/outbox-claims.js';

// The outbox's sender: claim → plan → send → record. Claims due rows (src/domain/notifications/outbox-claims.ts: shared by
// any number of dispatchers, under a lease), asks the domain's delivery plan what to do with each
// (src/domain/notifications/delivery-plan.ts: whom, when, on which channels, or why not), sends on
// the plan's channels in order, and records the outcome while it still holds the claim. Transient
// failures are retried with exponential backoff up to maxAttempts, then marked failed for staff
// (`roshni notifications list --failed`, `retry`). Logs carry ids, never people.

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
  /** Where a sent message's replies are kept for its chat (default: the bots' conversations). */
  chatOffers?: ChatOffers;
  log?: Log;
}

/** After stop(), how long outcomes are still retried while the database is unreachable. */
const STOP_GRACE_MS = 3_000;

export interface DispatchTally {
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

export class Dispatcher {
  private readonly options: Required<Omit<DispatcherOptions, 'log'>> & Pick<DispatcherOptions, 'log'>;
  private readonly claims: OutboxClaims;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** When stop() was called: outcomes still unrecorded are given up on a little after it. */
  private stoppedAt: number | null = null;
  readonly tally: DispatchTally = { sent: 0, retried: 0, failed: 0, skipped: 0 };

  constructor(options: DispatcherOptions) {
    this.options = {
      batchSize: 20,
      concurrency: 4,
      leaseMs: 120_000,
      maxAttempts: 6,
      backoffMs: 30_000,
      pollMs: 1_000,
      chatOffers: chatOffersInConversations(options.ctx.db),
      ...options,
    };
    this.claims = new OutboxClaims(this.options.ctx, this.options.instanceId, this.options.leaseMs);
  }

  /**
   * Claims and sends until stop() is called. A slow send (a provider hanging until its timeout)
   * holds only its own place: the other places keep claiming and sending meanwhile.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stoppedAt = null;
    this.loop = this.keepSending();
  }

  /** Stops claiming; sends in flight finish and are recorded; claims not yet started are released. */
  async stop(): Promise<void> {
    this.running = false;
    this.stoppedAt ??= Date.now();
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** One batch: claims due rows, sends them, records each. Returns how many were handled. */
  async runOnce(): Promise<number> {
    const held = new Set<number>();
    const claimed = await this.claimHeld(held);
    if (!claimed) return 0;
    const { rows, context } = claimed;
    const heartbeat = this.renewing(held);
    try {
      let next = 0;
      const worker = async () => {
        while (next < rows.length) await this.sendHeld(rows[next++]!, context, held);
      };
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, rows.length) }, worker));
    } finally {
      clearInterval(heartbeat);
    }
    return rows.length;
  }

  private async keepSending(): Promise<void> {
    const { concurrency, log } = this.options;
    const held = new Set<number>();
    const waiting: Array<{ row: ClaimedRow; context: Promise<DeliverySettings> }> = [];
    const sending = new Set<Promise<void>>();
    const heartbeat = this.renewing(held);
    try {
      let unreachable = false;
      while (this.running) {
        let claimed = 0;
        if (!waiting.length && sending.size < concurrency) {
          try {
            const batch = await this.claimHeld(held);
            if (batch) waiting.push(...batch.rows.map((row) => ({ row, context: batch.context })));
            claimed = batch?.rows.length ?? 0;
            if (unreachable) log?.('dispatcher: the database is back', 'info');
            unreachable = false;
          } catch (error) {
            const lost = isConnectionLoss(error);
            // A database away (a restart) is said once, not at every poll.
            if (!(lost && unreachable)) log?.(`dispatcher: ${(error as Error).message}${lost ? ' (trying again every poll)' : ''}`, 'warn');
            unreachable = lost;
          }
        }
        while (waiting.length && sending.size < concurrency) {
          const { row, context } = waiting.shift()!;
          const send: Promise<void> = this.sendHeld(row, context, held)
            .catch((error: unknown) => log?.(`dispatcher: notification ${row.id}: ${(error as Error).message}`, 'warn'))
            .finally(() => sending.delete(send));
          sending.add(send);
        }
        // Full: until a place frees. Nothing was due: until the next poll.
        if (sending.size >= concurrency) await this.nap(Promise.race(sending));
        else if (!claimed) await this.nap();
      }
    } finally {
      for (const { row } of waiting) await this.persistently(() => this.claims.release(row.id)).catch(() => {});
      await Promise.all(sending);
      clearInterval(heartbeat);
    }
  }

  /** Waits for `event`, the poll interval or stop(), whichever comes first. */
  private nap(event?: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs);
      this.wake = done;
      event?.then(done, done);
    });
  }

  /**
   * Claims a batch, and starts reading the messages' template context (each send awaits it). The
   * claimed rows are `held` from then on: rows waiting to be sent stay ours however long that takes
   * (paced channels and a 429's retry_after can outlast the lease), as renewing() extends their
   * lease, so no other dispatcher takes them and sends them again.
   */
  private async claimHeld(held: Set<number>) {
    const rows = await this.claims.claim(this.options.batchSize);
    if (!rows.length) return null;
    for (const row of rows) held.add(row.id);
    const context = this.persistently(() => deliverySettings(this.options.ctx.db, this.options.ctx.timezone));
    context.catch(() => {}); // met by each send
    return { rows, context };
  }

  /** Sends a claimed row, unless its claim was found lost (this process stalled past its lease). */
  private async sendHeld(row: ClaimedRow, context: Promise<DeliverySettings>, held: Set<number>): Promise<void> {
    if (!held.has(row.id)) return;
    try {
      await this.deliver(row, await context);
    } finally {
      held.delete(row.id);
    }
  }

  private renewing(held: Set<number>): NodeJS.Timeout {
    return setInterval(() => void this.claims.renew(held).catch(() => {}), Math.max(10, this.options.leaseMs / 3));
  }

  private async deliver(row: ClaimedRow, settings: DeliverySettings): Promise<void> {
    const { ctx, channels } = this.options;
    // Read at each message: a channel may come and go while running (WhatsApp, while its session is held).
    const sendable = new Set((Object.keys(channels) as ContactChannel[]).filter((c) => channels[c]));
    const plan = await planDelivery(ctx.db, row, settings, ctx.clock.now(), sendable);
    switch (plan.action) {
      case 'skip':
        return this.finish(row, 'skipped', { last_error: plan.note });
      case 'fail':
        return this.finish(row, 'failed', { last_error: plan.note });
      case 'defer':
        // Not counted as a try.
        return this.finish(row, 'pending', { next_attempt_at: plan.until, attempts: row.attempts - 1 }, `held until ${plan.untilClinicTime} (quiet hours)`);
      case 'send':
        return this.send(row, plan);
    }
  }

  /** Tries the plan's channels in order; a transient failure is retried later on the same channel. */
  private async send(row: ClaimedRow, plan: Extract<DeliveryPlan, { action: 'send' }>): Promise<void> {
    const message: OutboundMessage = { idempotencyKey: row.idempotency_key, kind: row.kind, ...plan.message };
    const errors: string[] = [];
    let retryAfterMs: number | undefined;
    let retryable = false;
    for (const { channel, address } of plan.routes) {
      let providerMessageId: string;
      try {
        ({ providerMessageId } = await this.options.channels[channel]!.send(address, message));
      } catch (error) {
        if (!(error instanceof ChannelError)) {
          errors.push(`${channel}: unexpected error`);
          this.options.log?.(`dispatcher: notification ${row.id} on ${channel}: ${(error as Error).name}`, 'warn');
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
        continue;
      }
      return this.recordSent(row, plan, { channel, address }, providerMessageId);
    }
    const lastError = errors.join('; ').slice(0, 500);
    if (retryable && row.attempts < this.options.maxAttempts) {
      const backoff = Math.min(this.options.backoffMs * 2 ** (row.attempts - 1), 6 * 3_600_000);
      const delay = Math.max(backoff, retryAfterMs ?? 0);
      return this.finish(row, 'pending', { last_error: lastError, next_attempt_at: new Date(this.options.ctx.clock.now().getTime() + delay) });
    }
    return this.finish(row, 'failed', { last_error: lastError });
  }

  /** The message went out: whatever happens now, it is recorded as sent and never sent again. */
  private async recordSent(row: ClaimedRow, plan: Extract<DeliveryPlan, { action: 'send' }>, { channel, address }: Route, providerMessageId: string) {
    if (plan.actions.length && offersRepliesInChat(channel)) {
      await this.persistently(() => this.options.chatOffers.offer(channel, address, plan.actions)).catch((error: unknown) =>
        this.options.log?.(`dispatcher: notification ${row.id}: its replies could not be offered in the chat (${(error as Error).message})`, 'warn'),
      );
    }
    // Who heard it, for a row that named only the patient (a confirmation resolved to a guardian at sending).
    const heardBy = row.guardian_id ? { guardian_id: row.guardian_id } : {};
    return this.finish(row, 'sent', { channel, provider_message_id: providerMessageId, sent_at: this.options.ctx.clock.now(), last_error: null, ...heardBy });
  }

  /**
   * Runs a query about claimed rows, trying again while the database is unreachable (restarting):
   * a message sent but not recorded would be sent again once its lease ran out. Gives up when the
   * lease may be about to (another dispatcher could take the row then), or a little after stop().
   */
  private async persistently<T>(work: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + (this.options.leaseMs * 2) / 3;
    for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2_000)) {
      try {
        return await work();
      } catch (error) {
        const stopped = this.stoppedAt !== null && Date.now() > this.stoppedAt + STOP_GRACE_MS;
        if (!isConnectionLoss(error) || stopped || Date.now() + waitMs > giveUpAt) throw error;
        await sleep(waitMs);
      }
    }
  }

  /** Records the outcome and says it: a message held (`held`, why) at debug level, a send that failed as a warning. */
  private async finish(row: ClaimedRow, state: Outcome, fields: OutcomeFields, held?: string): Promise<void> {
    await this.persistently(() => this.claims.record(row.id, state, fields));
    if (state === 'sent') this.tally.sent++;
    else if (state === 'pending') this.tally.retried++;
    else if (state === 'failed') this.tally.failed++;
    else this.tally.skipped++;
    const { log } = this.options;
    if (held) log?.(`dispatcher: notification ${row.id} ${held}`, 'debug');
    else if (state === 'pending') log?.(`dispatcher: notification ${row.id} will be retried`, 'warn');
    else if (state === 'failed') log?.(`dispatcher: notification ${row.id} failed`, 'warn');
    else if (state === 'skipped') log?.(`dispatcher: notification ${row.id} skipped`, 'info');
  }
}
