import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '../errors.js';

/**
 * Whether `signature` is the hex HMAC-SHA256 of `payload` under `secret`, compared in constant time.
 * (razorpay-node 2.9's own validateWebhookSignature compares with `===`, so it is not used.)
 */
export function hmacSignatureMatches(secret: string, payload: Buffer | string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(payload).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

const checkoutInput = z.object({
  orderId: z.string().trim().min(1),
  paymentId: z.string().trim().min(1),
  signature: z.string().trim().min(1),
});

/**
 * Razorpay Checkout hands the browser `razorpay_order_id`, `razorpay_payment_id` and
 * `razorpay_signature`: the signature is HMAC-SHA256 of `order_id|payment_id` under the API key
 * secret, which only the server holds. True only for a signature Razorpay made.
 */
export function verifyCheckoutSignature(raw: z.input<typeof checkoutInput>, keySecret: string): boolean {
  const input = parseInput(checkoutInput, raw);
  return hmacSignatureMatches(keySecret, `${input.orderId}|${input.paymentId}`, input.signature);
}
