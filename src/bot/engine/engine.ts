import { actorOf } from './chat-actor.js';
import { systemActor } from '../../domain/actor.js';
import { getClinicSettings } from '../../domain/clinic/settings.js';
import { isDomainError } from '../../domain/errors.js';
import { bookSteps } from '../flows/book.js';
import { identifySteps, startIdentify } from '../flows/identify.js';
import { askLanguage, menuSteps, setMessaging, showMenu } from '../flows/menu.js';
import { myAppointmentSteps } from '../flows/my-appointments.js';
import { patientChoiceSteps } from '../flows/patient-choice.js';
import { paySteps } from '../flows/pay.js';
import { endTalk, passToStaff } from '../flows/talk-to-clinic.js';
import { waitlistSteps } from '../flows/waitlist.js';
import { answerAction, reminderActionSteps } from '../flows/reminder-actions.js';
import { receiveDocument, sendDocumentSteps } from '../flows/send-document.js';
import { sharedDocumentSteps } from '../flows/shared-documents.js';
import { isActionToken } from '../../domain/notifications/actions.js';
import { alertUnexpectedError } from '../../domain/notifications/unexpected-error-alerts.js';
import { runAfterCommit } from './after-commit.js';
import { translate } from './i18n.js';
import { say, unknownInput } from './kit.js';
import { CHAT_FLOOD_LIMIT, ChatRateLimiter, costOf } from './rate-limit.js';
import { takeDocument } from './take-document.js';
import { loadConversation, saveConversation } from '../../domain/messaging/conversations.js';
import type { Conversation, EngineDeps, Incoming, Reply, StepHandler, Turn, Update } from './types.js';

// The conversation engine: one update in, replies out. Channel-agnostic, deterministic given the
// stored state, the input and the domain's answers; every rule lives in the domain core.

const steps: Record<string, StepHandler> = {
  ...identifySteps,
  ...menuSteps,
  ...patientChoiceSteps,
  ...bookSteps,
  ...myAppointmentSteps,
  ...paySteps,
  ...waitlistSteps,
  ...reminderActionSteps,
  ...sendDocumentSteps,
  ...sharedDocumentSteps,
};

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
        };
        if (outdated) say(turn, 'restarted');
        await this.run(turn);
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

  private async run(turn: Turn): Promise<void> {
    const c = turn.conversation;
    const identified = Boolean(c.patientId || c.guardianId);
    const word = turn.input.kind === 'text' ? turn.input.text.trim().toLowerCase() : undefined;
    if (!identified) {
      if (c.state.step === 'start' || !steps[c.state.step] || (word && MENU_WORDS.has(word))) {
        const settings = await getClinicSettings(turn.ctx);
        return startIdentify(turn, settings?.name ?? 'the clinic');
      }
    } else if (word && MENU_WORDS.has(word)) {
      endTalk(turn);
      return showMenu(turn);
    } else if (word === 'stop' || word === 'start' || word === '/stop') {
      return setMessaging(turn, word === 'start');
    } else if (word === 'language' || word === 'भाषा') {
      return askLanguage(turn);
    } else if (turn.input.kind === 'document') {
      return receiveDocument(turn, turn.input);
    } else if (turn.input.kind === 'choice' && isActionToken(turn.input.value)) {
      // A button on a reminder or offer, however old: the action checks itself against now.
      return answerAction(turn, turn.input.value);
    } else if (c.handedToStaffAt) {
      if (turn.input.kind === 'text') return passToStaff(turn, turn.input.text);
    }
    const input = normalise(turn.input, c);
    if (input === 'stale') {
      say(turn, 'staleButton');
      return c.state.options.length ? unknownInput(turn) : showMenu(turn);
    }
    turn.input = input;
    const step = steps[c.state.step];
    if (!step) return showMenu(turn);
    await step(turn);
  }

  /** Admins hear that a chat hit an unexpected error: its kind and channel only, never the person (merged per kind). */
  private async tellClinic(update: Update, kind: string): Promise<void> {
    const ctx = { db: this.deps.db, clock: this.deps.clock, timezone: this.deps.timezone, actor: systemActor };
    await alertUnexpectedError(ctx, { kind, channel: update.channel });
  }
}
