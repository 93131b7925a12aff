import type { PaymentGateway } from '../domain/billing/payment-gateway.js';
import { loadConfig } from '../infra/config.js';
import type { CommandEnv } from './io.js';

/** The Razorpay gateway when its keys are configured (loaded only by commands that take money online). */
export async function createConfiguredGateway(env: CommandEnv): Promise<{ paymentGateway?: PaymentGateway }> {
  const config = loadConfig(env.io.env);
  if (!config.env.RAZORPAY_KEY_ID || !config.env.RAZORPAY_KEY_SECRET) return {};
  const { createRazorpayGateway } = await import('../infra/gateways/razorpay.js');
  return { paymentGateway: createRazorpayGateway(config) };
}
