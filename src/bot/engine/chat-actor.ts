import { systemActor, type Actor } from '../../domain/actor.js';
import type { Conversation } from './types.js';

/**
 * Who a chat acts as: its family once identified (else the system). In `roshni chat --as` the member of
 * staff at the desk is the operator: the family's rules apply, and what is done is recorded as the desk's.
 */
export function actorOf(conversation: Pick<Conversation, 'guardianId' | 'patientId'>, operator: Actor | undefined): Actor {
  const desk = operator?.kind === 'staff' ? { operator } : {};
  if (conversation.guardianId) return { kind: 'guardian', guardianId: conversation.guardianId, ...desk };
  if (conversation.patientId) return { kind: 'patient', patientId: conversation.patientId, ...desk };
  return systemActor;
}
