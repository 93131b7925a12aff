import Razorpay from 'razorpay';
import { PaymentGatewayError, type GatewayLinkStatus, type GatewayRefund, type PaymentGateway } from '../../domain/billing/payment-gateway.js';
import { ConfigError, type Config } from '../config.js';
import { describeTimeout, OUTBOUND_TIMEOUT_MS, outboundDeadline } from '../outbound.js';

// The official SDK, behind the domain's PaymentGateway. Load this module with a dynamic import:
// it pulls in the SDK and axios, which most commands never need.

/** Transport failures that mean the request never reached Razorpay: it cannot have done anything. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A refusal or an unreachable Razorpay, said in one line (the SDK throws plain objects). */
export class RazorpayRequestError extends PaymentGatewayError {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly code: string,
  ) {
    // No answer came although the request may have arrived (a timeout, a dropped connection): Razorpay
    // may have done what was asked. A refusal (any HTTP answer) or a connection never made did nothing.
    super(message, statusCode === 0 && !NEVER_SENT.has(code));
    this.name = 'RazorpayRequestError';
  }
}

interface SdkError {
  statusCode?: number;
  error?: { code?: string; description?: string };
}

interface AxiosLike {
  defaults: { baseURL?: string; headers: { common: Record<string, string> } };
  interceptors: {
    request: { use(onRequest: (config: { signal?: unknown }) => { signal?: unknown }): void };
    response: { use(onOk: undefined, onError: (error: unknown) => unknown): void };
  };
}

/**
 * razorpay-node 2.9 hard-codes https://api.razorpay.com (its constructor ignores any hostUrl option)
 * and keeps its axios instance at `api.rq`, so that is where the base URL is changed, and where each
 * request gets its deadline (the SDK sets no timeout: axios would wait forever).
 * Its error normaliser also reads `err.response.status` unguarded, which turns a refused connection
 * into a TypeError; the interceptor gives such errors a response-shaped description first.
 */
function sdkClient(options: { keyId: string; keySecret: string; baseUrl?: string | undefined; timeoutMs: number }, extraHeaders: Record<string, string> = {}) {
  const { keyId, keySecret, baseUrl, timeoutMs } = options;
  const client = new Razorpay({ key_id: keyId, key_secret: keySecret });
  const rq = (client.api as unknown as { rq: AxiosLike }).rq;
  if (baseUrl) rq.defaults.baseURL = baseUrl;
  Object.assign(rq.defaults.headers.common, extraHeaders);
  rq.interceptors.request.use((config) => {
    config.signal = outboundDeadline(timeoutMs);
    return config;
  });
  rq.interceptors.response.use(undefined, (error) => {
    const e = error as { response?: unknown; code?: string; message?: string; config?: { signal?: AbortSignal } };
    if (!e.response) {
      const host = new URL(baseUrl ?? 'https://api.razorpay.com').host;
      const timedOut = e.config?.signal?.aborted === true;
      const code = timedOut ? 'TIMEOUT' : (e.code ?? 'NETWORK_ERROR');
      const why = timedOut ? `no answer from ${host} ${describeTimeout(timeoutMs)}` : `no answer from ${host} (${e.code ?? e.message})`;
      e.response = { status: 0, data: { error: { code, description: why } } };
    }
    throw error;
  });
  return client;
}

function describeFailure(action: string, error: unknown): RazorpayRequestError {
  const sdk = error as SdkError;
  if (sdk && typeof sdk === 'object' && 'statusCode' in sdk) {
    const code = sdk.error?.code ?? 'ERROR';
    const why = sdk.error?.description ?? 'no reason given';
    const message =
      sdk.statusCode === 0 ? `Cannot reach Razorpay to ${action}: ${why}.` : `Razorpay refused to ${action}: ${why} (HTTP ${sdk.statusCode} ${code}).`;
    return new RazorpayRequestError(message, sdk.statusCode ?? 0, code);
  }
  return new RazorpayRequestError(`Razorpay could not ${action}: ${error instanceof Error ? error.message : String(error)}.`, 0, 'ERROR');
}

async function calling<T>(action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw describeFailure(action, error);
  }
}

export function razorpayGateway(options: { keyId: string; keySecret: string; baseUrl?: string; timeoutMs?: number }): PaymentGateway {
  const settings = { ...options, timeoutMs: options.timeoutMs ?? OUTBOUND_TIMEOUT_MS };
  const client = sdkClient(settings);
  return {
    async createOrder({ amountPaise, receipt, notes }) {
      const order = await calling('create the order', () => client.orders.create({ amount: amountPaise, currency: 'INR', receipt, notes }));
      return { orderId: order.id, amountPaise: Number(order.amount), receipt: order.receipt ?? receipt };
    },

    // A standard link: UPI (intent and QR) sits beside cards and netbanking. A UPI-only link
    // (`upi_link: true`) works only in live mode and only on Android, so it is not used.
    async createPaymentLink({ amountPaise, referenceId, description, customer, expiresAt, notes }) {
      const link = await calling('create the payment link', () =>
        client.paymentLink.create({
          amount: amountPaise,
          currency: 'INR',
          reference_id: referenceId,
          description,
          customer,
          // The clinic sends the link itself (bot, SMS); Razorpay does not message the patient.
          notify: { sms: false, email: false },
          reminder_enable: false,
          ...(expiresAt ? { expire_by: Math.floor(expiresAt.getTime() / 1000) } : {}),
          notes,
        }),
      );
      return { paymentLinkId: link.id, shortUrl: link.short_url, amountPaise: Number(link.amount), referenceId: link.reference_id ?? referenceId };
    },

    // Razorpay keeps reference_id unique among links, so at most one is found.
    async findPaymentLink(referenceId) {
      const { payment_links: found } = await calling('look up the payment link', () =>
        client.paymentLink.all({ reference_id: referenceId } as Parameters<typeof client.paymentLink.all>[0]),
      );
      const link = found.find((l) => l.reference_id === referenceId);
      if (!link) return null;
      return { paymentLinkId: link.id, shortUrl: link.short_url, amountPaise: Number(link.amount), referenceId, status: link.status as GatewayLinkStatus };
    },

    // Only a link in the created state can be cancelled; when Razorpay refuses, the link itself says why.
    async cancelPaymentLink(paymentLinkId) {
      try {
        const link = await calling('cancel the payment link', () => client.paymentLink.cancel(paymentLinkId));
        return link.status as GatewayLinkStatus;
      } catch (error) {
        if (!(error instanceof RazorpayRequestError) || error.statusCode !== 400) throw error;
        const link = await calling('look up the payment link', () => client.paymentLink.fetch(paymentLinkId));
        if (link.status === 'created') throw error;
        return link.status as GatewayLinkStatus;
      }
    },

    // payments.refund() sends no headers of its own and the constructor passes on only
    // X-Razorpay-Account, so each refund gets a client of its own that carries X-Refund-Idempotency.
    // The key is also the refund's receipt, which lets the refund.processed webhook find our refund.
    async refund({ paymentId, amountPaise, idempotencyKey, notes }) {
      const refundClient = sdkClient(settings, { 'X-Refund-Idempotency': idempotencyKey });
      const refund = await calling('refund the payment', () =>
        refundClient.payments.refund(paymentId, { amount: amountPaise, speed: 'normal', receipt: idempotencyKey, notes }),
      );
      return { refundId: refund.id, status: refund.status as GatewayRefund['status'] };
    },
  };
}

/** The gateway from configuration (RAZORPAY_BASE_URL points the SDK at a fake in tests). */
export function createRazorpayGateway(config: Config): PaymentGateway {
  const { RAZORPAY_KEY_ID: keyId, RAZORPAY_KEY_SECRET: keySecret, RAZORPAY_BASE_URL: baseUrl } = config.env;
  if (!keyId) throw new ConfigError('RAZORPAY_KEY_ID', 'is missing: online payments need RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET');
  if (!keySecret) throw new ConfigError('RAZORPAY_KEY_SECRET', 'is missing: online payments need RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET');
  return razorpayGateway({ keyId, keySecret, ...(baseUrl ? { baseUrl } : {}) });
}
