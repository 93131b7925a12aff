import { z } from 'zod';
import { receiveChatMessage } from '../../domain/messaging/inbox.js';
import { defineFlow, step } from '../engine/flow.js';
import { say } from '../engine/kit.js';
import { noData } from './common.js';

// "Talk to the clinic": the chat is handed to staff. Until the person writes "menu", what they write
// lands in the staff inbox (`roshni inbox`); staff replies come back through the outbox.

export const talkToClinicFlow = defineFlow({
  name: 'talk-to-clinic',
  /** Nothing to hand the chat to staff; a `message` for them; `end` when the person asks for the menu. */
  input: z.union([z.object({ message: z.string() }), z.object({ end: z.literal(true) })]).optional(),
  async start(turn, input) {
    if (input && 'message' in input) {
      await receiveChatMessage(turn.ctx, turn.conversation.id, input.message);
      return say(turn, 'talkReceived');
    }
    if (input?.end) {
      turn.conversation.handedToStaffAt = null;
      say(turn, 'talkEnded');
      return turn.goTo('menu');
    }
    turn.conversation.handedToStaffAt = turn.ctx.clock.now();
    turn.conversation.state = { step: 'talk-to-clinic.listening', data: {}, options: [] };
    say(turn, 'talkStarted');
  },
  steps: {
    // What is typed goes to staff before any step (the engine); anything else meanwhile shows the menu.
    listening: step(noData, (turn) => turn.goTo('menu')),
  },
});
