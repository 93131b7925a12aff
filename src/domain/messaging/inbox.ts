import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { staffUserIdOf } from '../actor.js';
import { inTransaction, type DomainContext } from '../context.js';
import { NotFoundError, parseInput } from '../errors.js';
import { enqueueNotification } from '../notifications/enqueue.js';
import { authorize } from '../policy.js';

// The staff inbox: chats handed to the clinic ("talk to the clinic") and the messages both ways.
// A staff reply is an outbox 'staff_reply' the dispatcher sends on the chat's own channel. Reads run in a
// transaction too: it declares the session, and the database shows a receptionist or therapist only the
// chats handed to the clinic (migration 0027).

export async function listInbox(ctx: DomainContext) {
  authorize(ctx.actor, 'patient.read');
  return inTransaction(ctx, (tx) => handedChats(tx));
}

function handedChats(ctx: DomainContext) {
  return ctx.db
    .selectFrom('bot_conversations as c')
    .leftJoin('patients as p', 'p.id', 'c.patient_id')
    .leftJoin('guardians as g', 'g.id', 'c.guardian_id')
    .select((eb) => [
      'c.id',
      'c.channel',
      'c.handed_to_staff_at',
      eb.fn.coalesce('g.full_name', 'p.full_name').as('name'),
      eb
        .selectFrom('inbox_messages as m')
        .select((m) => m.fn.countAll<number>().as('n'))
        .whereRef('m.conversation_id', '=', 'c.id')
        .where('m.direction', '=', 'in')
        .where('m.read_at', 'is', null)
        .as('unread'),
    ])
    .where('c.handed_to_staff_at', 'is not', null)
    .orderBy('c.handed_to_staff_at', 'desc')
    .execute();
}

export async function showInboxConversation(ctx: DomainContext, conversationId: number) {
  authorize(ctx.actor, 'patient.read');
  return inTransaction(ctx, (tx) => conversationRead(tx, conversationId));
}

/** The conversation and its messages, the ones it sent now marked read. */
async function conversationRead(ctx: DomainContext, conversationId: number) {
  const conversation = await ctx.db.selectFrom('bot_conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
  if (!conversation) throw new NotFoundError(`No conversation ${conversationId}.`);
  const messages = await ctx.db
    .selectFrom('inbox_messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  await ctx.db
    .updateTable('inbox_messages')
    .set({ read_at: ctx.clock.now() })
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'in')
    .where('read_at', 'is', null)
    .execute();
  return { conversation, messages };
}

const replyInput = z.object({ conversationId: z.number().int().positive(), body: z.string().trim().min(1, 'must not be empty').max(2000) });

export async function replyInInbox(ctx: DomainContext, raw: z.input<typeof replyInput>) {
  authorize(ctx.actor, 'patient.manage');
  const input = parseInput(replyInput, raw);
  return inTransaction(ctx, async (tx) => {
    const c = await tx.db.selectFrom('bot_conversations').selectAll().where('id', '=', input.conversationId).executeTakeFirst();
    if (!c || (!c.patient_id && !c.guardian_id)) throw new NotFoundError(`No conversation ${input.conversationId} with a known person.`);
    const message = await tx.db
      .insertInto('inbox_messages')
      .values({ conversation_id: c.id, direction: 'out', body: input.body, staff_user_id: staffUserIdOf(tx.actor) })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    await enqueueNotification(tx, {
      kind: 'staff_reply',
      idempotencyKey: `staff_reply:${message.id}`,
      recipient: c.guardian_id ? { guardianId: c.guardian_id } : { patientId: c.patient_id! },
      dueAt: tx.clock.now(),
      channel: c.channel === 'terminal' ? null : c.channel,
      language: c.language,
      payload: { conversationId: c.id, chatChannel: c.channel, chatId: c.chat_id, text: input.body },
    });
    await recordAudit(tx, { action: 'inbox.reply', entity: 'bot_conversation', entityId: c.id, patientId: c.patient_id });
    return { messageId: message.id, channel: c.channel };
  });
}

/** The longest message kept from a chat; the rest is cut. */
const CHAT_MESSAGE_CHARS = 4000;

/**
 * What a chat handed to the clinic writes lands in the staff inbox. The chat speaks for its own
 * conversation only (the engine passes the conversation it loaded for this update).
 */
export async function receiveChatMessage(ctx: DomainContext, conversationId: number, body: string): Promise<{ messageId: number }> {
  if (ctx.actor.kind === 'staff') authorize(ctx.actor, 'patient.manage');
  return inTransaction(ctx, async (tx) => {
    const c = await tx.db.selectFrom('bot_conversations').select(['id', 'patient_id']).where('id', '=', conversationId).executeTakeFirst();
    if (!c) throw new NotFoundError(`No conversation ${conversationId}.`);
    const message = await tx.db
      .insertInto('inbox_messages')
      .values({ conversation_id: c.id, direction: 'in', body: body.slice(0, CHAT_MESSAGE_CHARS) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(tx, { action: 'inbox.receive', entity: 'bot_conversation', entityId: c.id, patientId: c.patient_id, meta: { messageId: message.id } });
    return { messageId: message.id };
  });
}
