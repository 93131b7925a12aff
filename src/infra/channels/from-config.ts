import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { ContactChannel } from '../db/schema.js';
import type { Channel } from './channel.js';
import { resendChannel } from './email-resend.js';
import { fast2smsChannel } from './sms-fast2sms.js';
import { databasePacing } from './shared-pacing.js';
import { telegramChannel } from './telegram.js';
import { whatsappChannel, type WhatsAppClientLike } from './whatsapp-sender.js';

export type Channels = Partial<Record<ContactChannel, Channel>>;

/**
 * The channels the configuration makes available; WhatsApp only with a running client. With the
 * database, Telegram's overall pace is shared by every process sending through the bot.
 */
export function channelsFromConfig(config: Config, options: { whatsapp?: WhatsAppClientLike; db?: Kysely<DB> } = {}): Channels {
  const env = config.env;
  const { whatsapp, db } = options;
  const channels: Channels = {};
  if (env.TELEGRAM_BOT_TOKEN) {
    channels.telegram = telegramChannel({
      token: env.TELEGRAM_BOT_TOKEN,
      ...(env.TELEGRAM_API_ROOT ? { apiRoot: env.TELEGRAM_API_ROOT } : {}),
      ...(db ? { sharedPacing: databasePacing(db, 'telegram') } : {}),
    });
  }
  if (env.RESEND_API_KEY && env.ROSHNI_EMAIL_FROM) {
    channels.email = resendChannel({
      apiKey: env.RESEND_API_KEY,
      from: env.ROSHNI_EMAIL_FROM,
      ...(env.RESEND_BASE_URL ? { baseUrl: env.RESEND_BASE_URL } : {}),
    });
  }
  if (env.FAST2SMS_API_KEY) {
    const dltTemplates = Object.fromEntries(
      (env.FAST2SMS_DLT_TEMPLATES ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    channels.sms = fast2smsChannel({
      apiKey: env.FAST2SMS_API_KEY,
      baseUrl: env.FAST2SMS_BASE_URL,
      dltTemplates,
      ...(env.FAST2SMS_SENDER_ID ? { senderId: env.FAST2SMS_SENDER_ID } : {}),
    });
  }
  if (whatsapp) channels.whatsapp = whatsappChannel(whatsapp);
  return channels;
}
