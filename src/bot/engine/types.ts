import type { Actor } from '../../domain/actor.js';
import type { DomainContext } from '../../domain/context.js';
import type { PaymentGateway } from '../../domain/billing/payment-gateway.js';
import type { DocumentStore } from '../../domain/documents/document-store.js';
import type { Clock } from '../../infra/clock.js';
import type { LogLevel } from '../../infra/log.js';
import type { ChatChannel, Conversation, ConversationState, Language } from '../../domain/messaging/conversations.js';

export type { ChatChannel, Conversation, ConversationState, Language };

/** Every flow the engine knows, by name (src/bot/flows/index.ts holds one of each). */
export type FlowName =
  | 'identify'
  | 'menu'
  | 'language'
  | 'patient-choice'
  | 'book'
  | 'my-appointments'
  | 'pay'
  | 'waitlist'
  | 'reminder-actions'
  | 'send-document'
  | 'shared-documents'
  | 'talk-to-clinic';

/** A step as stored in the conversation: `<flow>.<step>` ("book.time"). */
export type StepId = `${FlowName}.${string}`;

/** What a person sent: words, a press on an offered option, or a shared phone number. */
export type Incoming =
  | { kind: 'text'; text: string }
  | { kind: 'choice'; value: string }
  | { kind: 'contact'; phone: string }
  /** A file sent to the clinic (a prescription, a report): filed to the patient's record for review. */
  | IncomingDocument;

/**
 * A file as a channel announces it: its size as the channel tells it, and how to fetch it. The engine
 * fetches it only for an identified chat, within the size limit and the chat's document allowance
 * (src/bot/engine/take-document.ts); a channel that already holds the bytes (the terminal) gives them.
 */
export interface IncomingDocument {
  kind: 'document';
  name?: string;
  /** Bytes, as the channel says before any download; unknown when it does not say. */
  size?: number;
  /** The channel cannot fetch it at all (Telegram's Bot API: over 20 MB). */
  tooLarge?: boolean;
  bytes?: Uint8Array;
  download?: () => Promise<{ bytes: Uint8Array; name?: string }>;
}

/** A document as the flows see it: fetched, or refused before fetching. */
export interface ReceivedDocument {
  kind: 'document';
  name?: string;
  bytes?: Uint8Array;
  refused?: 'too_large' | 'too_many';
}

export interface Option {
  value: string;
  label: string;
}

/** What the bot answers. Channels render these: buttons on Telegram, numbered lists on WhatsApp and the terminal. */
export type Reply =
  | { kind: 'text'; text: string }
  | { kind: 'choices'; text: string; options: Option[] }
  | { kind: 'contact_request'; text: string; button: string }
  | { kind: 'image'; png: Buffer; caption: string; /** What the image encodes (a terminal draws it as a QR). */ encodes: string }
  | { kind: 'link'; text: string; url: string; label: string }
  /** A document the clinic shared, sent as a file. */
  | { kind: 'file'; bytes: Buffer; name: string; mimeType: string; caption: string };

export interface Update {
  channel: ChatChannel;
  chatId: string;
  input: Incoming;
  /** The sender's number when the channel knows it (WhatsApp, `roshni chat --as`). */
  senderPhone?: string;
  /**
   * Called once the update's turn is committed (or it changed nothing): from then on handling it
   * again would be a second answer, so a channel that can have it delivered again (Telegram) counts
   * it as handled, even if a stop cuts its replies.
   */
  committed?: () => void;
}

/** A token bucket's size and refill (rate-limit.ts). */
export interface BucketLimit {
  burst: number;
  perSecond: number;
}

export interface EngineDeps {
  db: DomainContext['db'];
  clock: Clock;
  timezone: string;
  /** Razorpay, when configured: "pay now" sends a payment link; otherwise the clinic's UPI QR. */
  paymentGateway?: PaymentGateway;
  /** Where documents patients send are kept; without it, the bot asks them to bring documents in. */
  documentStore?: DocumentStore;
  /** Logs without personal data: event names, ids and error kinds only ('info' unless a level is given). */
  log?: (event: string, fields: Record<string, unknown>, level?: LogLevel) => void;
  /** Flood control per chat (rate-limit.ts); default a burst of 10, then 1 a second. */
  rateLimit?: BucketLimit;
  /** How many documents a chat may send in a window (default 10 an hour); the rest are not fetched. */
  documentLimit?: { documents: number; perMs: number };
  /** The terminal chat's staff user, recorded when the chat acts as a family (`chat.as`). */
  operator?: Actor;
}

/**
 * Work a step leaves for after the chat's transaction commits (after-commit.ts): a call to an
 * outside service, given a context outside any transaction; it returns its replies.
 */
export type AfterCommit = (ctx: DomainContext) => Promise<Reply[]>;

/** What a step sees: what was sent, with a document already fetched (or refused). */
export type TurnInput = Exclude<Incoming, IncomingDocument> | ReceivedDocument;

export interface Turn {
  conversation: Conversation;
  input: TurnInput;
  /** The domain context acting as this chat's patient or guardian (the system before identification). */
  ctx: DomainContext;
  deps: EngineDeps;
  senderPhone?: string;
  replies: Reply[];
  /** Left for after the commit, each with where its replies go among `replies`. */
  afterCommit: Array<{ at: number; work: AfterCommit }>;
  /** Moves to another flow by name (its start, given `input` as that flow's schema takes it). */
  goTo(flow: FlowName, input?: unknown): Promise<void>;
}
