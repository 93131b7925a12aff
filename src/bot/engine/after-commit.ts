import type { DomainContext } from '../../domain/context.js';
import type { AfterCommit, Reply, Turn } from './types.js';

// A turn runs inside its chat's transaction, holding the chat's row (and whatever rows the domain
// locks) until it commits. A step that must call an outside service (Razorpay) leaves that call for
// after the commit, so a slow service holds no lock: the family's next message and the desk's work
// on the same appointment go on meanwhile. Such work stores what it learns in transactions of its
// own (the domain does), audits a refusal it meets (auditingDenials, as any door outside a
// transaction), and does not move the conversation: the step decides where it stands.

/** Leaves `work` for after the turn commits; its replies go where the step asked for it. */
export function afterCommit(turn: Turn, work: AfterCommit): void {
  turn.afterCommit.push({ at: turn.replies.length, work });
}

/** Runs the work a turn left, in order, outside any transaction, and puts each one's replies in place among the turn's. */
export async function runAfterCommit(turn: Pick<Turn, 'replies' | 'afterCommit'>, ctx: DomainContext): Promise<Reply[]> {
  if (!turn.afterCommit.length) return turn.replies;
  const replies: Reply[] = [];
  let from = 0;
  for (const { at, work } of turn.afterCommit) {
    replies.push(...turn.replies.slice(from, at), ...(await work(ctx)));
    from = at;
  }
  return [...replies, ...turn.replies.slice(from)];
}
