import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults } from './faults.js';

// A stand-in for api.razorpay.com on 127.0.0.1, for the real SDK to talk to, and the webhook
// events Razorpay would send about what was created here (signed like Razorpay signs them). It can
// misbehave on its next requests (hang, drop the connection, lose its answer: see faults.ts).

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface WebhookEvent {
  eventId: string;
  /** The exact bytes Razorpay would POST. */
  body: string;
}

type Entity = Record<string, unknown> & { id: string; amount: number };

const id = (prefix: string) => `${prefix}_${randomBytes(7).toString('hex')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

export function signWebhook(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The event envelope Razorpay posts (compact JSON, amounts in paise). */
export function razorpayEvent(event: string, payload: Record<string, { entity: unknown }>): WebhookEvent {
  const body = JSON.stringify({ entity: 'event', account_id: 'acc_Fake0001', event, contains: Object.keys(payload), payload, created_at: nowSeconds() });
  return { eventId: id('evt'), body };
}

/** POSTs a webhook as Razorpay would; `signature` and `eventId` can be overridden (or left out with null). */
export async function deliverWebhook(
  baseUrl: string,
  event: WebhookEvent,
  options: { secret: string; signature?: string | null; eventId?: string | null; body?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = options.body ?? event.body;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const signature = options.signature === undefined ? signWebhook(event.body, options.secret) : options.signature;
  const eventId = options.eventId === undefined ? event.eventId : options.eventId;
  if (signature !== null) headers['X-Razorpay-Signature'] = signature;
  if (eventId !== null) headers['X-Razorpay-Event-Id'] = eventId;
  const response = await fetch(`${baseUrl}/webhooks/razorpay`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface FakeRazorpay {
  url: string;
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  requests: RecordedRequest[];
  orders: Map<string, Entity>;
  links: Map<string, Entity>;
  /** The environment that points Roshni at this fake. */
  env(): Record<string, string>;
  /** The next API call is answered with this error. */
  failNext(status: number, description: string): void;
  /** Misbehaviour for the next API calls (whatever they ask). */
  faults: Faults;
  /** A payment on an order: its payment.captured and order.paid events. */
  payOrder(orderId: string, method?: string): { paymentId: string; captured: WebhookEvent; orderPaid: WebhookEvent };
  /** A payment through a link: payment.captured, order.paid and payment_link.paid. */
  payLink(linkId: string): { paymentId: string; captured: WebhookEvent; orderPaid: WebhookEvent; linkPaid: WebhookEvent };
  /** A failed attempt on an order. */
  failAttempt(orderId: string, description?: string): WebhookEvent;
  /** refund.processed for a refund created through the API here. */
  refundProcessed(refundId: string): WebhookEvent;
  close(): Promise<void>;
}

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
    });
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

const badRequest = (description: string) => ({ error: { code: 'BAD_REQUEST_ERROR', description } });

export async function startFakeRazorpay(): Promise<FakeRazorpay> {
  const keyId = `rzp_test_${randomBytes(6).toString('hex')}`;
  const keySecret = randomBytes(12).toString('hex');
  const webhookSecret = randomBytes(12).toString('hex');
  const requests: RecordedRequest[] = [];
  const orders = new Map<string, Entity>();
  const links = new Map<string, Entity>();
  const refunds = new Map<string, Entity>();
  const refundsByKey = new Map<string, Entity>();
  let failure: { status: number; description: string } | undefined;
  const faults = new Faults();

  function answer(method: string, path: string, query: URLSearchParams, headers: IncomingMessage['headers'], body: Record<string, unknown>): [number, unknown] {
    const expected = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;
    if (headers.authorization !== expected) return [401, badRequest('Authentication failed')];
    if (failure) {
      const { status, description } = failure;
      failure = undefined;
      return [status, badRequest(description)];
    }
    const amount = body.amount as number;
    if (method === 'POST' && (path === '/v1/orders' || path === '/v1/payment_links') && (!Number.isInteger(amount) || amount < 100)) {
      return [400, badRequest('The amount must be atleast INR 1.00')];
    }
    if (method === 'POST' && path === '/v1/orders') {
      const order = {
        id: id('order'),
        entity: 'order',
        amount,
        amount_paid: 0,
        amount_due: amount,
        currency: body.currency,
        receipt: body.receipt ?? null,
        status: 'created',
        attempts: 0,
        notes: body.notes ?? [],
        created_at: nowSeconds(),
      };
      orders.set(order.id, order);
      return [200, order];
    }
    if (method === 'POST' && path === '/v1/payment_links') {
      if ([...links.values()].some((l) => l.reference_id === body.reference_id))
        return [400, badRequest(`Payment Link with reference id ${String(body.reference_id)} already exists`)];
      const linkId = id('plink');
      const link = {
        ...body,
        id: linkId,
        amount,
        amount_paid: 0,
        status: 'created',
        order_id: '',
        short_url: `https://rzp.io/i/${linkId.slice(6, 14)}`,
        created_at: nowSeconds(),
      };
      links.set(link.id, link);
      return [200, link];
    }
    if (method === 'GET' && path === '/v1/payment_links') {
      const reference = query.get('reference_id');
      return [200, { payment_links: [...links.values()].filter((l) => !reference || l.reference_id === reference) }];
    }
    const linkAction = /^\/v1\/payment_links\/(plink_\w+)(\/cancel)?$/.exec(path);
    const link = linkAction ? links.get(linkAction[1]!) : undefined;
    if (linkAction && !link) return [400, badRequest('The id provided does not exist')];
    if (method === 'GET' && link && !linkAction![2]) return [200, link];
    if (method === 'POST' && link && linkAction![2]) {
      if (link.status !== 'created') return [400, badRequest(`Payment Link cannot be cancelled as it is in ${String(link.status)} state`)];
      link.status = 'cancelled';
      link.cancelled_at = nowSeconds();
      return [200, link];
    }
    const refund = /^\/v1\/payments\/(pay_\w+)\/refund$/.exec(path);
    if (method === 'POST' && refund) {
      const key = headers['x-refund-idempotency'] as string | undefined;
      const earlier = key ? refundsByKey.get(key) : undefined;
      if (earlier) return [200, earlier];
      const entity = {
        id: id('rfnd'),
        entity: 'refund',
        amount,
        currency: 'INR',
        payment_id: refund[1]!,
        receipt: body.receipt ?? null,
        notes: body.notes ?? [],
        status: 'pending',
        speed_requested: body.speed,
        created_at: nowSeconds(),
      };
      refunds.set(entity.id, entity);
      if (key) refundsByKey.set(key, entity);
      return [200, entity];
    }
    return [404, badRequest('The requested URL was not found on the server.')];
  }

  const server = createServer(async (request, response) => {
    const body = await readJson(request);
    const url = new URL(request.url ?? '/', 'http://fake');
    requests.push({ method: request.method!, path: url.pathname, headers: request.headers, body });
    const fault = await faults.before(response);
    if (fault === 'answered') return;
    const [status, result] = answer(request.method!, url.pathname, url.searchParams, request.headers, body);
    if (Faults.loseAnswer(fault, response)) return;
    reply(response, status, result);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function payment(amount: number, orderId: string, extra: Record<string, unknown> = {}) {
    // What Razorpay puts in a payment entity, personal details included (Roshni must not store them).
    return {
      id: id('pay'),
      entity: 'payment',
      amount,
      currency: 'INR',
      status: 'captured',
      order_id: orderId,
      method: 'upi',
      vpa: 'asha.rao@okhdfcbank',
      email: 'asha.rao@example.com',
      contact: '+919812345678',
      notes: [],
      captured: true,
      acquirer_data: { rrn: '412345678901', upi_transaction_id: 'AXI4a1b2c3' },
      created_at: nowSeconds(),
      ...extra,
    };
  }

  return {
    url,
    keyId,
    keySecret,
    webhookSecret,
    requests,
    orders,
    links,
    env: () => ({ RAZORPAY_KEY_ID: keyId, RAZORPAY_KEY_SECRET: keySecret, RAZORPAY_WEBHOOK_SECRET: webhookSecret, RAZORPAY_BASE_URL: url }),
    failNext: (status, description) => {
      failure = { status, description };
    },
    faults,
    payOrder(orderId, method = 'upi') {
      const order = orders.get(orderId)!;
      const paid = payment(order.amount, orderId, { method, notes: order.notes });
      const orderEntity = { ...order, amount_paid: order.amount, amount_due: 0, status: 'paid', attempts: 1 };
      return {
        paymentId: paid.id,
        captured: razorpayEvent('payment.captured', { payment: { entity: paid } }),
        orderPaid: razorpayEvent('order.paid', { payment: { entity: paid }, order: { entity: orderEntity } }),
      };
    },
    payLink(linkId) {
      const link = links.get(linkId)!;
      // Razorpay makes an order of its own behind every payment link.
      const orderId = id('order');
      const paid = payment(link.amount, orderId);
      const order = { id: orderId, entity: 'order', amount: link.amount, amount_paid: link.amount, amount_due: 0, receipt: null, status: 'paid', notes: [] };
      if (link.status !== 'created') throw new Error(`the fake cannot pay a ${String(link.status)} link`);
      Object.assign(link, { amount_paid: link.amount, status: 'paid', order_id: orderId });
      const linkEntity = { ...link };
      return {
        paymentId: paid.id,
        captured: razorpayEvent('payment.captured', { payment: { entity: paid } }),
        orderPaid: razorpayEvent('order.paid', { payment: { entity: paid }, order: { entity: order } }),
        linkPaid: razorpayEvent('payment_link.paid', { payment_link: { entity: linkEntity }, order: { entity: order }, payment: { entity: paid } }),
      };
    },
    failAttempt(orderId, description = 'Payment was unsuccessful as the UPI PIN entered was incorrect.') {
      const order = orders.get(orderId)!;
      const failed = payment(order.amount, orderId, {
        status: 'failed',
        captured: false,
        error_code: 'BAD_REQUEST_ERROR',
        error_description: description,
        error_reason: 'incorrect_pin',
      });
      return razorpayEvent('payment.failed', { payment: { entity: failed } });
    },
    refundProcessed(refundId) {
      const refund: Entity = { ...refunds.get(refundId)!, status: 'processed' };
      return razorpayEvent('refund.processed', {
        refund: { entity: refund },
        payment: { entity: payment(refund.amount, '', { id: refund.payment_id as string }) },
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
