import type { BucketLimit, Incoming } from './types.js';

// Per-chat flood control, a token bucket: a chat holds up to `burst` tokens and earns `perSecond`
// back; an update spends what it costs, or is refused when the bucket holds too little. A person
// tapping buttons (1–3 s apart) never empties it; a script sending dozens a second does at once and
// then gets the rate back, no more. Kept in memory: each process (`roshni start`) counts its own.

/** The bot's default: ten at once, then one token a second. */
export const CHAT_FLOOD_LIMIT: BucketLimit = { burst: 10, perSecond: 1 };

/** No limit: for the desk's own terminal chat (`roshni chat`), whose input may be piped from a file. */
export const NO_FLOOD_LIMIT: BucketLimit = { burst: Number.POSITIVE_INFINITY, perSecond: 0 };

/**
 * What an update costs. A tap (or a typed option number, WhatsApp's way of tapping) costs 1; typed
 * words cost 2, as nobody types sentences every second; a file costs 3, so an album of three photos
 * still goes through at once while a storm of them does not.
 */
export function costOf(input: Incoming): number {
  switch (input.kind) {
    case 'choice':
    case 'contact':
      return 1;
    case 'text':
      return /^\s*\d{1,2}\s*$/.test(input.text) ? 1 : 2;
    case 'document':
      return 3;
  }
}

interface Bucket {
  tokens: number;
  at: number;
  /** "Slow down" was said in this flood; said again only after the bucket has filled up once more. */
  warned: boolean;
}

export class ChatRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: BucketLimit,
    private readonly now: () => number,
  ) {}

  /** 'ok' to handle, 'warn' to answer "slow down" (once per flood), 'drop' to ignore. */
  check(key: string, cost = 1): 'ok' | 'warn' | 'drop' {
    const bucket = this.refilled(key, this.now());
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 'ok';
    }
    if (bucket.warned) return 'drop';
    bucket.warned = true;
    return 'warn';
  }

  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= 10_000) this.forgetFull(now);
      bucket = { tokens: this.limit.burst, at: now, warned: false };
      this.buckets.set(key, bucket);
      return bucket;
    }
    bucket.tokens = this.tokensAt(bucket, now);
    bucket.at = now;
    // The flood is over once the chat has been quiet long enough to fill the bucket again.
    if (bucket.tokens >= this.limit.burst) bucket.warned = false;
    return bucket;
  }

  private tokensAt(bucket: Bucket, now: number): number {
    const earned = (Math.max(0, now - bucket.at) / 1000) * this.limit.perSecond;
    return Math.min(this.limit.burst, bucket.tokens + earned);
  }

  /** A full bucket is the same as none: forgetting it changes nothing. */
  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) if (this.tokensAt(bucket, now) >= this.limit.burst) this.buckets.delete(key);
  }
}
