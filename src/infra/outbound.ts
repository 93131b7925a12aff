// Calls to outside services (Razorpay, Resend, Fast2SMS, Telegram) share one rule: none waits for
// an answer longer than OUTBOUND_TIMEOUT_MS. A service that hangs then fails like one that refuses,
// as a temporary failure: the outbox retries it with backoff, a payment request says "try again".
// Eight seconds is ample for a working provider, and a send in flight at SIGTERM still ends inside
// `roshni start`'s 9-second stop budget (src/commands/start.ts).

export const OUTBOUND_TIMEOUT_MS = 8_000;

/** A file sent or fetched (a document of up to 20 MB in a chat) may take longer on a clinic's line. */
export const FILE_TRANSFER_TIMEOUT_MS = 60_000;

/**
 * A signal that aborts a request still unanswered after `timeoutMs` (for fetch, the Resend SDK,
 * axios), or sooner when `alsoOn` aborts (a stop).
 */
export function outboundDeadline(timeoutMs = OUTBOUND_TIMEOUT_MS, alsoOn?: AbortSignal): AbortSignal {
  const deadline = AbortSignal.timeout(timeoutMs);
  return alsoOn ? AbortSignal.any([alsoOn, deadline]) : deadline;
}

/**
 * For a call that takes no signal (whatsapp-web.js drives a browser): settles with it, or rejects
 * with a TimeoutError once `timeoutMs` has passed. The call itself may still finish later.
 */
export function beforeDeadline<T>(call: Promise<T>, timeoutMs = OUTBOUND_TIMEOUT_MS): Promise<T> {
  const deadline = outboundDeadline(timeoutMs);
  return new Promise<T>((resolve, reject) => {
    const giveUp = () => reject(deadline.reason);
    deadline.addEventListener('abort', giveUp, { once: true });
    call.then(resolve, reject).finally(() => deadline.removeEventListener('abort', giveUp));
  });
}

/** "within 8 s", for messages saying a service did not answer in time. */
export function describeTimeout(timeoutMs = OUTBOUND_TIMEOUT_MS): string {
  return `within ${Number((timeoutMs / 1000).toFixed(1))} s`;
}

/**
 * An HTTP Retry-After header (seconds, or a date) in milliseconds from now; undefined when absent or
 * unreadable. Providers send it with a 429 to say when to come back.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
