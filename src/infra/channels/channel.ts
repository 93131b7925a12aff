import type { ContactChannel } from '../db/schema.js';

// The port every sending channel implements: one message to one address, a provider id back, or a
// typed error saying whether trying again later could help.

export interface OutboundMessage {
  /** The notification's idempotency key: providers that take one (Resend) get it. */
  idempotencyKey: string;
  kind: string;
  subject: string;
  text: string;
  html: string;
  smsVariables: string[];
  /** Replies offered with the message (Telegram buttons, numbered on WhatsApp); other channels send the text alone. */
  actions: Array<{ value: string; label: string }>;
}

export interface Channel {
  readonly name: ContactChannel;
  send(address: string, message: OutboundMessage): Promise<{ providerMessageId: string }>;
  /** Stops pacing timers; messages in flight finish. */
  close?(): Promise<void>;
}

export class ChannelError extends Error {
  constructor(
    readonly channel: ContactChannel,
    readonly retryable: boolean,
    message: string,
    /** The provider asked us to wait this long before trying again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
