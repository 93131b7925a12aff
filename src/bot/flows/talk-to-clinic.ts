import { receiveChatMessage } from '../../domain/messaging/inbox.js';
import { say } from '../engine/kit.js';
import type { Turn } from '../engine/types.js';

// "Talk to the clinic": the chat is handed to staff. Until the person writes "menu", what they write
// lands in the staff inbox (`roshni inbox`); staff replies come back through the outbox.

export function startTalk(turn: Turn): void {
  turn.conversation.handedToStaffAt = turn.ctx.clock.now();
  turn.conversation.state = { step: 'talk', data: {}, options: [] };
  say(turn, 'talkStarted');
}

export async function passToStaff(turn: Turn, body: string): Promise<void> {
  await receiveChatMessage(turn.ctx, turn.conversation.id, body);
  say(turn, 'talkReceived');
}

export function endTalk(turn: Turn): void {
  if (!turn.conversation.handedToStaffAt) return;
  turn.conversation.handedToStaffAt = null;
  say(turn, 'talkEnded');
}
