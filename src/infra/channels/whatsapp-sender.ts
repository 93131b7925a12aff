import { beforeDeadline, describeTimeout, OUTBOUND_TIMEOUT_MS } from '../outbound.js';
import { ChannelError, type Channel, type OutboundMessage } from './channel.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * What the dispatcher needs of the running whatsapp-web.js client (the bots' engineer owns the
 * client and its session): `client.sendMessage(chatId, text)` has this shape. Only `roshni start`
 * holding a ready session registers one, so WhatsApp is a channel only then.
 */
export interface WhatsAppClientLike {
  sendMessage(chatId: string, content: string): Promise<{ id?: { _serialized?: string } } | unknown>;
  /** The session's state ('CONNECTED', 'UNPAIRED', …), for `roshni health` and GET /health. */
  getState?(): Promise<string | null>;
}

/** "+919820012345" → "919820012345@c.us"; a stored whatsapp_id is used as it is. */
export function whatsappChatId(address: string): string {
  return address.includes('@') ? address : `${address.replace(/\D/g, '')}@c.us`;
}

/**
 * Interactive buttons are unreliable on whatsapp-web.js: actions become numbered replies, which the
 * bot maps back through the options the dispatcher stores in the chat's conversation.
 */
export function withNumberedReplies(message: OutboundMessage): string {
  if (!message.actions.length) return message.text;
  return `${message.text}\n\n${message.actions.map((a, i) => `${i + 1}. ${a.label}`).join('\n')}`;
}

/**
 * WhatsApp through the running client, paced conservatively (an unofficial client sending fast
 * risks the number being banned): one message every 4 s overall, one a minute per chat. A send the
 * browser has not finished within `timeoutMs` is given up (retried later) rather than let a stuck
 * session hold the dispatcher; if the browser finishes it after all, the retry sends it again.
 */
export function whatsappChannel(client: WhatsAppClientLike, pacing = { perSecond: 0.25, perChatIntervalMs: 60_000 }, timeoutMs = OUTBOUND_TIMEOUT_MS): Channel {
  const limiter = new RateLimiter({ perSecond: pacing.perSecond, perKeyIntervalMs: pacing.perChatIntervalMs });
  return {
    name: 'whatsapp',
    async send(address: string, message: OutboundMessage) {
      const chatId = whatsappChatId(address);
      const sendOver = await limiter.acquire(chatId);
      try {
        const sent = (await beforeDeadline(client.sendMessage(chatId, withNumberedReplies(message)), timeoutMs)) as
          { id?: { _serialized?: string } } | undefined;
        return { providerMessageId: sent?.id?._serialized ?? '' };
      } catch (error) {
        // The client gives no typed errors; a disconnected session is worth a later try.
        const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
        throw new ChannelError('whatsapp', true, timedOut ? `whatsapp: no answer ${describeTimeout(timeoutMs)}` : 'whatsapp: send failed');
      } finally {
        sendOver();
      }
    },
  };
}
