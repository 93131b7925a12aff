import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { positiveInt } from '../cli/options.js';
import { emit, tableOr } from '../cli/output.js';
import { sessionAction } from '../cli/session.js';
import { listInbox, replyInInbox, showInboxConversation } from '../domain/messaging/inbox.js';
import { formatFriendly } from '../domain/time.js';

export function register(program: Command, run: RunCommand): void {
  const inbox = program.command('inbox').description('Chats handed to the clinic, and replies to them');
  inbox
    .command('list')
    .description('Chats waiting for the clinic')
    .action(
      sessionAction(run, async ({ ctx, env }) => {
        const rows = await listInbox(ctx);
        emit(env, rows, () =>
          tableOr(
            ['Chat', 'Channel', 'Who', 'Since', 'Unread'],
            rows.map((r) => [r.id, r.channel, r.name ?? '?', formatFriendly(r.handed_to_staff_at!, ctx.timezone), Number(r.unread ?? 0)]),
            'No chats are waiting.',
          ),
        );
        return 0;
      }),
    );
  inbox
    .command('show')
    .argument('<chat>', 'chat number from inbox list', positiveInt)
    .description('The messages of one chat')
    .action(
      sessionAction(run, async ({ ctx, env }, id: number) => {
        const { messages } = await showInboxConversation(ctx, id);
        // A message's own lines are indented, so none can pass for a message of its own (the clinic's, say).
        emit(env, messages, () =>
          messages.map((m) => `${formatFriendly(m.created_at, ctx.timezone)} ${m.direction === 'in' ? '←' : '→'} ${m.body.replace(/\r?\n/g, '\n    ')}`),
        );
        return 0;
      }),
    );
  inbox
    .command('reply')
    .argument('<chat>', 'chat number', positiveInt)
    .argument('<text...>', 'the reply')
    .description('Reply on the chat’s own channel')
    .action(
      sessionAction(run, async ({ ctx, env }, id: number, words: string[]) => {
        const sent = await replyInInbox(ctx, { conversationId: id, body: words.join(' ') });
        emit(env, sent, () => `Reply queued for chat ${id} (${sent.channel}).`);
        return 0;
      }),
    );
}
