/**
 * An outside service a part of `roshni start` needs (the Bot API, WhatsApp's browser) is not working
 * as it should. `kind` says why in a few words fit for a log line and GET /health: never a token, an
 * address or a person. `retryAfterMs` is the least the service asked us to wait (Telegram's 429).
 */
export class ServiceUnavailable extends Error {
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: string,
    options: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(kind, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ServiceUnavailable';
    this.retryAfterMs = options.retryAfterMs;
  }
}
