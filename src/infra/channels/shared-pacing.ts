import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * Send times shared by every process sending through one channel: a provider's overall limit (a
 * Telegram bot's ~30 messages a second) holds for all of them together, not for each.
 */
export interface SharedPacing {
  /** Reserves the channel's next send time, `gapMs` after the previous one; the milliseconds to wait for it. */
  reserve(gapMs: number): Promise<number>;
  /** Nothing is sent through the channel for `ms` (the provider's flood control asked so). */
  pause(ms: number): Promise<void>;
}

/** Send times kept in memory: the pace of this process alone (a channel only one process sends through). */
export function processPacing(): SharedPacing {
  let nextAt = 0;
  return {
    async reserve(gapMs) {
      const now = performance.now();
      nextAt = Math.max(nextAt, now) + gapMs;
      return Math.max(0, nextAt - now - gapMs);
    },
    async pause(ms) {
      nextAt = Math.max(nextAt, performance.now() + ms);
    },
  };
}

/** The reservations live in one row per channel (send_pacing); the database's clock decides. */
export function databasePacing(db: Kysely<DB>, channel: string): SharedPacing {
  const ms = (value: number) => sql`${value} * interval '1 millisecond'`;
  return {
    async reserve(gapMs) {
      // clock_timestamp(), not now(): inside a longer transaction now() would stand still.
      const { rows } = await sql<{ wait_ms: number }>`
        INSERT INTO send_pacing AS p (channel, next_at) VALUES (${channel}, clock_timestamp() + ${ms(gapMs)})
        ON CONFLICT (channel) DO UPDATE SET next_at = greatest(p.next_at, clock_timestamp()) + ${ms(gapMs)}
        RETURNING greatest(0, extract(epoch FROM p.next_at - clock_timestamp()) * 1000 - ${gapMs})::float8 AS wait_ms`.execute(db);
      return Number(rows[0]!.wait_ms);
    },
    async pause(pauseMs) {
      await sql`
        INSERT INTO send_pacing AS p (channel, next_at) VALUES (${channel}, clock_timestamp() + ${ms(pauseMs)})
        ON CONFLICT (channel) DO UPDATE SET next_at = greatest(p.next_at, clock_timestamp() + ${ms(pauseMs)})`.execute(db);
    },
  };
}
