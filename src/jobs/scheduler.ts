import cron, { type ScheduledTask } from 'node-cron';
import type { DomainContext } from '../domain/context.js';
import { scheduleReminders } from '../domain/notifications/reminders.js';
import { generateSlots } from '../domain/scheduling/slots.js';
import { sweepPendingDocuments } from '../domain/documents/pending-chat-documents.js';
import { enqueueTherapistSummaries } from '../domain/notifications/therapist-summary.js';
import { expireWaitlistOffers, lapseWaitlistEntries } from '../domain/scheduling/waitlist-offers.js';
import { addDays, clinicDate, clinicTime } from '../domain/time.js';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/db/database.js';
import { runJobOnce, type JobOutcome } from '../domain/operations/job-runs.js';
import { OPERATIONS_JOBS } from './operations-jobs.js';

// The scheduled jobs of `roshni start`. Each names its window (the minute, the day) so that any
// number of processes firing it run it once per window (see runJobOnce). A new job is one more
// entry in JOBS (or in a list spread into it, like the operations jobs).

/** What jobs beyond the domain need: the configuration and the open database (backups, health). */
export interface JobServices {
  config: Config;
  database: Database;
  /** The WhatsApp session's state, when `roshni start` holds one (the health check reports it). */
  whatsappState?: () => Promise<string | null>;
}

export interface JobDefinition {
  name: string;
  /** node-cron expression, in the clinic's time zone. */
  cron: string;
  /** The window a firing at `now` belongs to. */
  windowKey(now: Date, timezone: string): string;
  run(ctx: DomainContext, services: JobServices): Promise<Record<string, unknown>>;
}

/** Slots are kept generated this many days ahead. */
export const SLOT_HORIZON_DAYS = 28;

export const JOBS: readonly JobDefinition[] = [
  {
    name: 'reminders',
    cron: '* * * * *',
    windowKey: (now, tz) => `${clinicDate(now, tz)}T${clinicTime(now, tz)}`,
    run: async (ctx) => ({ ...(await scheduleReminders(ctx)) }),
  },
  {
    // Unanswered waitlist offers expire and pass the place on; entries whose dates passed lapse.
    name: 'waitlist-offers',
    cron: '* * * * *',
    windowKey: (now, tz) => `${clinicDate(now, tz)}T${clinicTime(now, tz)}`,
    run: async (ctx) => {
      const { expired, nextOffers } = await expireWaitlistOffers(ctx);
      return { expired, offered: nextOffers.length, lapsed: await lapseWaitlistEntries(ctx) };
    },
  },
  {
    // From the clinic's summary time on (roshni settings set --therapist-summary 07:30), once a day each.
    name: 'therapist-summary',
    cron: '*/5 * * * *',
    windowKey: (now, tz) => `${clinicDate(now, tz)}T${clinicTime(now, tz)}`,
    run: async (ctx) => ({ ...(await enqueueTherapistSummaries(ctx)) }),
  },
  {
    name: 'slot-generation',
    cron: '30 1 * * *',
    windowKey: (now, tz) => clinicDate(now, tz),
    run: async (ctx) => {
      const today = clinicDate(ctx.clock.now(), ctx.timezone);
      const generated = await generateSlots(ctx, { from: today, to: addDays(today, SLOT_HORIZON_DAYS - 1) });
      return { ...generated };
    },
  },
  {
    // Documents sent by chat and never said whose: deleted once their hour has passed.
    name: 'pending-documents',
    cron: '*/5 * * * *',
    windowKey: (now, tz) => `${clinicDate(now, tz)}T${clinicTime(now, tz)}`,
    run: async (ctx) => ({ deleted: await sweepPendingDocuments(ctx) }),
  },
  ...OPERATIONS_JOBS,
];

export function findJob(name: string): JobDefinition | undefined {
  return JOBS.find((j) => j.name === name);
}

/** Services for a caller that has none to give: a job that needs them fails saying so. */
function unavailable(job: string): JobServices {
  const missing = (): never => {
    throw new Error(`The ${job} job needs the configuration and the database: give fireJob/startScheduler their services.`);
  };
  return {
    get config() {
      return missing();
    },
    get database() {
      return missing();
    },
  };
}

/** Runs one job for the window of now, unless some process already has. */
export function fireJob(ctx: DomainContext, job: JobDefinition, instanceId: string, services?: JobServices): Promise<JobOutcome> {
  return runJobOnce(ctx, { name: job.name, windowKey: job.windowKey(ctx.clock.now(), ctx.timezone), instanceId }, () =>
    job.run(ctx, services ?? unavailable(job.name)),
  );
}

export interface Scheduler {
  stop(): Promise<void>;
}

/** Schedules every job with node-cron; stop() stops the timers and waits for runs in progress. */
export function startScheduler(
  ctx: DomainContext,
  options: { instanceId: string; services?: JobServices; jobs?: readonly JobDefinition[]; log?: (line: string) => void },
): Scheduler {
  const inFlight = new Set<Promise<unknown>>();
  const tasks: ScheduledTask[] = (options.jobs ?? JOBS).map((job) =>
    cron.schedule(
      job.cron,
      () => {
        const run = fireJob(ctx, job, options.instanceId, options.services)
          .then((outcome) => {
            if (outcome.ran && outcome.state === 'failed') options.log?.(`job ${job.name} failed: ${outcome.error}`);
          })
          .catch((error: unknown) => options.log?.(`job ${job.name}: ${(error as Error).message}`))
          .finally(() => inFlight.delete(run));
        inFlight.add(run);
        return run;
      },
      { timezone: ctx.timezone, name: `roshni-${job.name}`, noOverlap: true },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
      await Promise.all(tasks.map((t) => t.destroy()));
      await Promise.all([...inFlight]);
    },
  };
}
