import type { PaymentGateway } from '../../domain/billing/payment-gateway.js';
import type { Config } from '../config.js';

/** The Razorpay gateway when its keys are configured (loaded only by commands that take money online). */
export async function createConfiguredGateway(config: Config): Promise<{ paymentGateway?: PaymentGateway }> {
  if (!config.env.RAZORPAY_KEY_ID || !config.env.RAZORPAY_KEY_SECRET) return {};
  const { createRazorpayGateway } = await import('./razorpay.js');
  return { paymentGateway: createRazorpayGateway(config) };
}
