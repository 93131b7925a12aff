import { z } from 'zod';
import { denialsRecorded, recordAudit } from '../../domain/audit/record-audit.js';
import { attempt } from '../../domain/context.js';
import { isDomainError } from '../../domain/errors.js';
import type { ConsentChannel } from '../../domain/people/chat-identity.js';
import type { ChatChannel, Turn } from '../engine/types.js';

/** A database id as flows store them (appointment, patient, slot…). */
export const recordId = z.number().int().positive();

/** The data of a step that keeps nothing. */
export const noData = z.object({});

export const bookingVia = (channel: ChatChannel) => (channel === 'terminal' ? 'terminal_chat' : channel);
export const consentChannel = (channel: ChatChannel): ConsentChannel => (channel === 'terminal' ? 'terminal_chat' : channel);

export function identityOf(turn: Turn) {
  const c = turn.conversation;
  if (c.guardianId) return { kind: 'guardian' as const, guardianId: c.guardianId, name: '' };
  if (c.patientId) return { kind: 'patient' as const, patientId: c.patientId, name: '' };
  return null;
}

/** An id carried in an option value ("slot:42" → 42), or undefined when the value is not one. */
export function idFrom(value: string | undefined, prefix: string): number | undefined {
  if (!value?.startsWith(`${prefix}:`)) return undefined;
  const id = Number(value.slice(prefix.length + 1));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export const localName = (turn: Turn, name: string, nameHi: string | null) => (turn.conversation.language === 'hi' && nameHi ? nameHi : name);

/**
 * A domain call behind a savepoint: if it fails, the turn's transaction stays usable for the reply.
 * A refusal by the policy is audited (after the savepoint's rollback, so the entry stays) unless it
 * was audited where it happened.
 */
export async function guarded<T>(turn: Turn, work: () => Promise<T>): Promise<T> {
  if (!turn.ctx.db.isTransaction) return work();
  const denials = denialsRecorded(turn.ctx);
  const result = await attempt(turn.ctx, work);
  if (!result.ok) {
    const { error } = result;
    if (isDomainError(error) && error.kind === 'forbidden' && denialsRecorded(turn.ctx) === denials) {
      const action = typeof error.details?.action === 'string' ? error.details.action : 'unknown';
      await recordAudit(turn.ctx, { action, entity: 'policy', outcome: 'denied', meta: { channel: turn.conversation.channel } });
    }
    throw error;
  }
  return result.value;
}
