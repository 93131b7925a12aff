// The online payment provider (Razorpay), as the domain needs it. src/infra/gateways/razorpay.ts
// implements it with the official SDK; the CLI and the server create it from the configuration.

export interface GatewayOrder {
  orderId: string;
  amountPaise: number;
  receipt: string;
}

export interface GatewayPaymentLink {
  paymentLinkId: string;
  shortUrl: string;
  amountPaise: number;
  referenceId: string;
}

/** Where a payment link stands at Razorpay. */
export type GatewayLinkStatus = 'created' | 'partially_paid' | 'expired' | 'cancelled' | 'paid';

export interface GatewayRefund {
  refundId: string;
  status: 'pending' | 'processed' | 'failed';
}

export interface PaymentGateway {
  /** An order for checkout; `receipt` is our payment reference (idempotent on the provider's side). */
  createOrder(input: { amountPaise: number; receipt: string; notes: Record<string, string> }): Promise<GatewayOrder>;
  /** A payment link (UPI enabled) the patient can open from a message. */
  createPaymentLink(input: {
    amountPaise: number;
    referenceId: string;
    description: string;
    customer: { name?: string; contact?: string; email?: string };
    expiresAt?: Date;
    notes: Record<string, string>;
  }): Promise<GatewayPaymentLink>;
  /**
   * Cancels a link nobody has paid, and says where it stands: `cancelled` (or `expired`), or `paid` /
   * `partially_paid` when a payment came in first (a paid link cannot be cancelled).
   */
  cancelPaymentLink(paymentLinkId: string): Promise<GatewayLinkStatus>;
  /** The link made for our reference, if Razorpay has one: how a request whose answer was lost is settled. */
  findPaymentLink(referenceId: string): Promise<(GatewayPaymentLink & { status: GatewayLinkStatus }) | null>;
  /** Refunds a captured payment, at most once per idempotency key. */
  refund(input: { paymentId: string; amountPaise: number; idempotencyKey: string; notes: Record<string, string> }): Promise<GatewayRefund>;
}

/** A payment gateway refused a request or could not be reached; its message says which, in one line. */
export class PaymentGatewayError extends Error {
  constructor(
    message: string,
    /** No answer came although the request may have arrived: the gateway may have done what was asked. */
    readonly outcomeUnknown: boolean,
  ) {
    super(message);
  }
}

/**
 * Whether a failed call may still have been carried out: no answer came although the request may
 * have arrived (a timeout, a dropped connection). A refusal, or a connection never made, did nothing.
 */
export function outcomeUnknown(error: unknown): boolean {
  return (error as { outcomeUnknown?: unknown } | null)?.outcomeUnknown === true;
}
