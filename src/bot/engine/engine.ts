import { actorOf } from './chat-actor.js';
import { systemActor } from '../../domain/actor.js';
import { isDomainError } from '../../domain/errors.js';
import { flows } from '../flows/index.js';
import { isActionToken } from '../../domain/notifications/actions.js';
import { alertUnexpectedError } from '../../domain/notifications/unexpected-error-alerts.js';
import { runAfterCommit } from './after-commit.js';
import type { Standing } from './flow-registry.js';
import { translate } from './i18n.js';
import { say, unknownInput } from './kit.js';
import { CHAT_FLOOD_LIMIT, ChatRateLimiter, costOf } from './rate-limit.js';
import { takeDocument } from './take-document.js';
import { initialState, loadConversation, saveConversation } from '../../domain/messaging/conversations.js';
import type { Conversation, EngineDeps, Incoming, Reply, Turn, Update } from './types.js';

// The conversation engine: one update in, replies out. Channel-agnostic, deterministic given the
// stored state, the input and the domain's answers; every rule lives in the domain core. The flows
// (src/bot/flows) are known by name; a turn moves between them with turn.goTo.

const MENU_WORDS = new Set(['menu', 'hi', 'hello', 'help', '/start', '/menu', '/help', 'मेनू', 'नमस्ते', 'मदद']);
const MAX_TEXT = 1000;

/** Typed "2" means the second option offered; a pressed option must be one currently offered. */
function normalise(input: Incoming, conversation: Conversation): Incoming | 'stale' {
  const { options } = conversation.state;
  if (input.kind === 'text') {
    const text = input.text.trim().slice(0, MAX_TEXT);
    const index = /^\d{1,2}$/.test(text) ? Number(text) - 1 : -1;
    if (options[index]) return { kind: 'choice', value: options[index].value };
    const byLabel = options.find((o) => o.label.toLowerCase() === text.toLowerCase());
    return byLabel ? { kind: 'choice', value: byLabel.value } : { kind: 'text', text };
  }
  if (input.kind === 'choice') return options.some((o) => o.value === input.value) ? input : 'stale';
  return input;
}

export class ConversationEngine {
  private readonly limiter: ChatRateLimiter;
  private readonly documentAllowance: ChatRateLimiter;

  constructor(private readonly deps: EngineDeps) {
    this.limiter = new ChatRateLimiter(deps.rateLimit ?? CHAT_FLOOD_LIMIT, () => deps.clock.now().getTime());
    const documents = deps.documentLimit ?? { documents: 10, perMs: 60 * 60_000 };
    const perSecond = (documents.documents * 1000) / documents.perMs;
    this.documentAllowance = new ChatRateLimiter({ burst: documents.documents, perSecond }, () => deps.clock.now().getTime());
  }

  /**
   * Handles one update: loads and locks the chat's state, runs its step, saves, commits, runs what the
   * step left for after the commit (an outside call), and returns the replies.
   */
  async handle(update: Update): Promise<Reply[]> {
    const flood = this.limiter.check(`${update.channel}:${update.chatId}`, costOf(update.input));
    if (flood !== 'ok') update.committed?.();
    if (flood === 'drop') return [];
    if (flood === 'warn') return [{ kind: 'text', text: `${translate('en', 'slowDown')}\n${translate('hi', 'slowDown')}` }];
    let language: 'en' | 'hi' = 'en';
    try {
      // A file is fetched (or not) before the chat's row is locked: a download holds up no one.
      const input = update.input.kind === 'document' ? await takeDocument(this.deps, this.documentAllowance, update, update.input) : update.input;
      const committed = await this.deps.db.transaction().execute(async (db) => {
        const { conversation, outdated } = await loadConversation(db, update.channel, update.chatId);
        language = conversation.language;
        const turn: Turn = {
          conversation,
          input,
          ctx: {
            db,
            clock: this.deps.clock,
            timezone: this.deps.timezone,
            actor: actorOf(conversation, this.deps.operator),
            ...(this.deps.paymentGateway ? { paymentGateway: this.deps.paymentGateway } : {}),
            ...(this.deps.documentStore ? { documentStore: this.deps.documentStore } : {}),
          },
          deps: this.deps,
          ...(update.senderPhone ? { senderPhone: update.senderPhone } : {}),
          replies: [],
          afterCommit: [],
          goTo: async (flow, given) => flows.flow(flow).enter(turn, given),
        };
        if (outdated) say(turn, 'restarted');
        const standing = flows.standing(conversation.state);
        if (standing.at === 'unreadable') await this.restart(turn, standing, update);
        else await this.run(turn, standing);
        await saveConversation(db, conversation, this.deps.clock.now());
        return turn;
      });
      update.committed?.();
      // The chat's row is free again: an outside call left by the turn holds up no one.
      return await runAfterCommit(committed, { ...committed.ctx, db: this.deps.db });
    } catch (error) {
      // No personal data in the log or the alert: the chat's channel, the error's kind and name only.
      const kind = isDomainError(error) ? error.kind : 'unexpected';
      const name = error instanceof Error ? error.name : typeof error;
      this.deps.log?.('bot.error', { channel: update.channel, kind, error: name });
      await this.tellClinic(update, `${kind}:${name}`).catch(() => undefined);
      return [{ kind: 'text', text: translate(language, 'somethingWrong') }];
    }
  }

  private async run(turn: Turn, standing: Exclude<Standing, { at: 'unreadable' }>): Promise<void> {
    const c = turn.conversation;
    const identified = Boolean(c.patientId || c.guardianId);
    const word = turn.input.kind === 'text' ? turn.input.text.trim().toLowerCase() : undefined;
    const menuWord = word !== undefined && MENU_WORDS.has(word);
    if (!identified) {
      // Before identification only the identify flow's own steps go on.
      if (menuWord || standing.at !== 'step' || standing.flow !== 'identify') return turn.goTo('identify');
    } else if (menuWord) {
      return c.handedToStaffAt ? turn.goTo('talk-to-clinic', { end: true }) : turn.goTo('menu');
    } else if (word === 'stop' || word === 'start' || word === '/stop') {
      return turn.goTo('menu', { messaging: word === 'start' });
    } else if (word === 'language' || word === 'भाषा') {
      return turn.goTo('language');
    } else if (turn.input.kind === 'document') {
      return turn.goTo('send-document', turn.input);
    } else if (turn.input.kind === 'choice' && isActionToken(turn.input.value)) {
      // A button on a reminder or offer, however old: the action checks itself against now.
      return turn.goTo('reminder-actions', { action: turn.input.value });
    } else if (c.handedToStaffAt) {
      if (turn.input.kind === 'text') return turn.goTo('talk-to-clinic', { message: turn.input.text });
    }
    const input = normalise(turn.input, c);
    if (input === 'stale') {
      say(turn, 'staleButton');
      return c.state.options.length ? unknownInput(turn) : turn.goTo('menu');
    }
    turn.input = input;
    if (standing.at !== 'step') return turn.goTo('menu');
    await standing.run(turn);
  }

  /**
   * The stored conversation no longer parses (a release changed a flow's data, or a corrupt row): the
   * person hears so and starts again at the menu (or identification); nothing of the input is acted on.
   */
  private async restart(turn: Turn, standing: Extract<Standing, { at: 'unreadable' }>, update: Update): Promise<void> {
    const { at: _, ...what } = standing;
    this.deps.log?.('bot.conversation_unreadable', { channel: update.channel, conversationId: turn.conversation.id, ...what }, 'warn');
    turn.conversation.state = initialState();
    say(turn, 'conversationLost');
    await turn.goTo(turn.conversation.patientId || turn.conversation.guardianId ? 'menu' : 'identify');
  }

  /** Admins hear that a chat hit an unexpected error: its kind and channel only, never the person (merged per kind). */
  private async tellClinic(update: Update, kind: string): Promise<void> {
    const ctx = { db: this.deps.db, clock: this.deps.clock, timezone: this.deps.timezone, actor: systemActor };
    await alertUnexpectedError(ctx, { kind, channel: update.channel });
  }
}
