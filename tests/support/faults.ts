import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

// Ways an outside service misbehaves, for the fakes on 127.0.0.1 (fake-resend, fake-fast2sms,
// fake-razorpay) to act out on their next requests, with the real SDKs in the loop.

export type Fault =
  /** Takes the request and never answers (until the client gives up or the fake closes). */
  | { kind: 'hang' }
  /** Reads the request, then closes the connection without a word: nothing was done. */
  | { kind: 'drop' }
  /** Does the work, then closes the connection instead of answering: done, but nobody heard. */
  | { kind: 'answer-lost' }
  /** Waits for `until`, then goes on as usual (holds a request while the test does something else). */
  | { kind: 'hold'; until: Promise<void> }
  /** Answers with this status and body (a 429 with Retry-After, a 500). */
  | { kind: 'status'; status: number; body: unknown; headers?: Record<string, string> };

export class Faults {
  private readonly queue: Fault[] = [];
  /** How many requests were met with a fault. */
  struck = 0;

  /** The next `count` requests meet this fault. */
  next(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.queue.push(fault);
  }

  clear(): void {
    this.queue.length = 0;
  }

  /**
   * Acts out the next queued fault that strikes before the work; returns 'answered' when the
   * request is dealt with, else the fault still to act out after the work (answer-lost), if any.
   */
  async before(response: ServerResponse): Promise<'answered' | Fault | undefined> {
    const fault = this.queue.shift();
    if (!fault) return undefined;
    this.struck++;
    switch (fault.kind) {
      case 'hang':
        return 'answered';
      case 'drop':
        response.socket?.destroy();
        return 'answered';
      case 'status':
        response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        response.end(JSON.stringify(fault.body));
        return 'answered';
      case 'hold':
        await fault.until;
        return undefined;
      case 'answer-lost':
        return fault;
    }
  }

  /** After the work: true when the answer is to be lost (the connection closes instead). */
  static loseAnswer(fault: Fault | undefined, response: ServerResponse): boolean {
    if (fault?.kind !== 'answer-lost') return false;
    response.socket?.destroy();
    return true;
  }
}

/** A 127.0.0.1 address nothing listens on: every connection to it is refused. */
export async function refusingUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A promise with its resolve, to hold a request until the test lets it go. */
export function gate(): { until: Promise<void>; open: () => void } {
  let open!: () => void;
  const until = new Promise<void>((resolve) => (open = resolve));
  return { until, open };
}
