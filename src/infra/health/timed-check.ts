import { describeTimeout } from '../outbound.js';
import type { Verdict } from './external-services.js';
import type { CheckStatus, HealthCheck } from './health-report.js';

/** A check under way: its verdict never rejects; `onTimeout` is what it says when it does not answer in time. */
export interface RunningCheck {
  name: string;
  onTimeout: CheckStatus;
  result: Promise<HealthCheck>;
}

/**
 * Runs one check within `withinMs`: a check still running then (a hung database, a service that
 * does not answer) is reported with `onTimeout` and left to finish unseen.
 */
export function timed(
  name: string,
  check: () => Promise<{ status: CheckStatus; detail: string; verifiedAt?: string }>,
  withinMs: number,
  onTimeout: CheckStatus = 'warn',
): RunningCheck {
  const began = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Verdict>((resolve) => {
    timer = setTimeout(() => resolve({ status: onTimeout, detail: `no answer ${describeTimeout(withinMs)}` }), withinMs);
  });
  const result = Promise.race([check(), late]).then(
    (verdict): HealthCheck => ({ name, ...verdict, ms: Math.round(performance.now() - began) }),
    (error: unknown): HealthCheck => ({ name, status: 'fail', detail: (error as Error).message, ms: Math.round(performance.now() - began) }),
  );
  return { name, onTimeout, result: result.finally(() => clearTimeout(timer)) };
}

/** The check's result, or `standIn()` if it has none after `ms`. */
export async function resultWithin(check: RunningCheck, ms: number, standIn: () => HealthCheck): Promise<HealthCheck> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<HealthCheck>((resolve) => (timer = setTimeout(() => resolve(standIn()), Math.max(0, ms))));
  try {
    return await Promise.race([check.result, late]);
  } finally {
    clearTimeout(timer);
  }
}
