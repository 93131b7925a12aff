import { sql } from 'kysely';
import { inTransaction, type DomainContext } from '../context.js';
import { clinicDate, clinicTime } from '../time.js';
import { alertAdmins } from './admin-alerts.js';

// "The clinic has been told": every unexpected error a patient meets writes the admins' alert it
// promises, merged so that a bad evening is one message, not hundreds: at most one alert per kind
// of error in 10 minutes; the errors of that kind meanwhile are counted on it (count, last seen),
// and its text says the tally while it waits to be sent. It carries the kind, the channel, the count
// and the times only: never the person, their words or the error's message.

/** Errors of one kind within this long of the alert's first are merged into it. */
export const MERGE_WINDOW_MS = 10 * 60_000;

export interface UnexpectedError {
  /** What went wrong, in a word ('unexpected:TypeError', 'conflict:ConflictError'); anything else becomes 'unknown'. */
  kind: string;
  /** Where the patient met it ('telegram', 'whatsapp', 'terminal'). */
  channel: string;
}

interface Tally {
  errorKind: string;
  channels: string[];
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

const safeWord = (value: string) => (/^[A-Za-z][\w:.-]{0,60}$/.test(value) ? value : 'unknown');

function describe(tally: Tally, timeZone: string): string {
  const first = new Date(tally.firstSeenAt);
  const last = new Date(tally.lastSeenAt);
  const when =
    tally.count === 1
      ? `at ${clinicTime(first, timeZone)} on ${clinicDate(first, timeZone)}`
      : `${tally.count} times between ${clinicTime(first, timeZone)} and ${clinicTime(last, timeZone)} on ${clinicDate(first, timeZone)}`;
  return `The patient bot hit an unexpected error (${tally.errorKind}, on ${tally.channels.join(', ')}) ${when}; each patient was told the clinic knows. See the bot's log.`;
}

/**
 * Tells the admins of an unexpected error a patient met: a new alert, or one more on the alert of
 * that kind written less than MERGE_WINDOW_MS ago. Returns how many alert rows were written (0 when merged).
 */
export async function alertUnexpectedError(ctx: DomainContext, error: UnexpectedError): Promise<number> {
  const errorKind = safeWord(error.kind);
  const channel = safeWord(error.channel);
  return inTransaction(ctx, async (tx) => {
    // Two errors of one kind at once (two chats, two processes) find or write the same alert.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`roshni.unexpected-error:${errorKind}`}))`.execute(tx.db);
    const now = tx.clock.now();
    const since = new Date(now.getTime() - MERGE_WINDOW_MS);
    const open = await tx.db
      .selectFrom('notifications')
      .select(['id', 'state', 'payload'])
      .where('kind', '=', 'admin_alert')
      .where(sql<boolean>`payload->>'about' = 'bot_error'`)
      .where(sql<boolean>`payload->>'errorKind' = ${errorKind}`)
      .where(sql<boolean>`(payload->>'firstSeenAt')::timestamptz > ${since}::timestamptz`)
      .orderBy('id', 'desc')
      .execute();
    const latest = open[0] ? (open[0].payload as unknown as Tally).firstSeenAt : undefined;
    const rows = open.filter((row) => (row.payload as unknown as Tally).firstSeenAt === latest);
    if (!rows.length) {
      const tally: Tally = { errorKind, channels: [channel], count: 1, firstSeenAt: now.toISOString(), lastSeenAt: now.toISOString() };
      return alertAdmins(tx, `bot-error:${errorKind}:${tally.firstSeenAt}`, { about: 'bot_error', ...tally, text: describe(tally, tx.timezone) }, now);
    }
    for (const row of rows) {
      const was = row.payload as unknown as Tally & { text: string };
      const channels = was.channels.includes(channel) ? was.channels : [...was.channels, channel];
      const tally: Tally = { ...was, channels, count: was.count + 1, lastSeenAt: now.toISOString() };
      // A sent alert keeps the text that went out; its count and last time still grow.
      const text = row.state === 'pending' ? describe(tally, tx.timezone) : was.text;
      await tx.db
        .updateTable('notifications')
        .set({ payload: JSON.stringify({ ...was, ...tally, text }) })
        .where('id', '=', row.id)
        .execute();
    }
    return 0;
  });
}
