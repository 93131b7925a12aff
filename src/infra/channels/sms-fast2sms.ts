import { describeTimeout, OUTBOUND_TIMEOUT_MS, outboundDeadline, retryAfterMs } from '../outbound.js';
import { ChannelError, type Channel, type OutboundMessage } from './channel.js';

export interface Fast2SmsOptions {
  apiKey: string;
  baseUrl: string;
  /** DLT sender id (6 letters); with a template id for the message's kind, the DLT route is used. */
  senderId?: string;
  /** DLT template id per notification kind, e.g. { reminder: '1707...' }. */
  dltTemplates?: Record<string, string>;
  /** How long a request may go unanswered (default OUTBOUND_TIMEOUT_MS). */
  timeoutMs?: number;
}

interface Fast2SmsReply {
  return?: boolean;
  request_id?: string;
  status_code?: number;
  message?: string | string[];
}

/**
 * SMS through Fast2SMS's bulkV2 API to Indian numbers: the DLT route with the template registered for
 * the message's kind (transactional messages in India need one), else the quick route. The key goes
 * in the `authorization` header. An error reply ({ return: false, status_code, message }) is
 * retryable for 429 (after its Retry-After, when given) and 5xx, and for a failed connection or no
 * answer in time; every other status is permanent.
 */
export function fast2smsChannel(options: Fast2SmsOptions): Channel {
  const endpoint = new URL('/dev/bulkV2', options.baseUrl).toString();
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS;
  const post = async (body: Record<string, unknown>) => {
    const deadline = outboundDeadline(timeoutMs);
    const unanswered = () =>
      new ChannelError('sms', true, deadline.aborted ? `fast2sms: no answer ${describeTimeout(timeoutMs)}` : 'fast2sms: connection failed');
    let response: Response;
    let reply: Fast2SmsReply;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: options.apiKey, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: deadline,
      });
      reply = (await response.json().catch((error: unknown) => {
        if (deadline.aborted) throw error;
        return {};
      })) as Fast2SmsReply;
    } catch {
      throw unanswered();
    }
    if (response.ok && reply.return === true) return { providerMessageId: String(reply.request_id ?? '') };
    const status = Number(reply.status_code ?? response.status);
    const tooMany = status === 429 || response.status === 429;
    const retryable = tooMany || status >= 500 || response.status >= 500;
    throw new ChannelError('sms', retryable, `fast2sms: ${status}`, tooMany ? retryAfterMs(response.headers.get('retry-after')) : undefined);
  };
  return {
    name: 'sms',
    async send(phone: string, message: OutboundMessage) {
      if (!phone.startsWith('+91')) throw new ChannelError('sms', false, 'fast2sms: only Indian numbers');
      const numbers = phone.slice(3);
      const templateId = options.dltTemplates?.[message.kind];
      if (options.senderId && templateId) {
        try {
          return await post({
            route: 'dlt',
            sender_id: options.senderId,
            message: templateId,
            variables_values: message.smsVariables.map((v) => v.replaceAll('|', '/')).join('|'),
            numbers,
            flash: 0,
          });
        } catch (error) {
          // A template refused (not approved, variables mismatch) falls back to the quick route.
          if (!(error instanceof ChannelError) || error.retryable) throw error;
        }
      }
      // Plain ASCII costs a third of a Unicode SMS: English needs no ₹ or dash to be understood.
      const text = message.text.replaceAll('₹', 'Rs.').replaceAll('—', '-');
      const unicode = /[^\u0000-\u007f]/.test(text);
      return post({ route: 'q', message: text, language: unicode ? 'unicode' : 'english', numbers, flash: 0 });
    },
  };
}
