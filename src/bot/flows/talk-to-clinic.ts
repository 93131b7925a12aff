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
  await turn.ctx.db.insertInto('inbox_messages').values({ conversation_id: turn.conversation.id, direction: 'in', body: body.slice(0, 4000) }).execute();
  say(turn, 'talkReceived');
}

export function endTalk(turn: Turn): void {
  if (!turn.conversation.handedToStaffAt) return;
  turn.conversation.handedToStaffAt = null;
  say(turn, 'talkEnded');
}
