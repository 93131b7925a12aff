import { z } from 'zod';
import { recordAudit } from '../audit/record-audit.js';
import { systemActor } from '../actor.js';
import { inTransaction, withActor, type DomainContext } from '../context.js';
import { parseInput } from '../errors.js';
import { isoDate } from '../time.js';
import { personName } from './contact-details.js';
import { addGuardian } from './guardians.js';
import { addPatient } from './patients.js';
import { messagingPhone } from './phone.js';

// Who is writing to the clinic's bots: found by phone number, or registered from the chat with
// explicit consent (DPDP Act 2023: purpose, channel, notice version, withdrawable).

export type ChatIdentity = { kind: 'guardian'; guardianId: number; name: string } | { kind: 'patient'; patientId: number; name: string };
export type ConsentChannel = 'telegram' | 'whatsapp' | 'terminal_chat';

/** The notice the chat shows before registering; recorded with every consent it collects. */
export const CHAT_NOTICE_VERSION = 'chat-2026-11';

/** A guardian with this number first (they book for children); otherwise the patient with it. */
export async function findByPhone(ctx: DomainContext, phone: string): Promise<ChatIdentity | null> {
  const guardian = await ctx.db
    .selectFrom('guardians')
    .select(['id', 'full_name'])
    .where('phone', '=', phone)
    .where('erased_at', 'is', null)
    .executeTakeFirst();
  if (guardian) return { kind: 'guardian', guardianId: guardian.id, name: guardian.full_name };
  const patient = await ctx.db
    .selectFrom('patients')
    .select(['id', 'full_name'])
    .where('phone', '=', phone)
    .where('erased_at', 'is', null)
    .orderBy('id')
    .executeTakeFirst();
  return patient ? { kind: 'patient', patientId: patient.id, name: patient.full_name } : null;
}

/**
 * Staff at the terminal chat (`roshni chat`) acting as a patient or guardian. What the chat then does
 * is audited in the family's name, so who really sat at the keyboard is recorded first (ids only).
 */
export async function recordChatAs(ctx: DomainContext, who: ChatIdentity): Promise<void> {
  const as = who.kind === 'guardian' ? { as: 'guardian', guardianId: who.guardianId } : { as: 'patient', patientId: who.patientId };
  const entityId = who.kind === 'guardian' ? who.guardianId : who.patientId;
  await recordAudit(ctx, { action: 'chat.as', entity: who.kind, entityId, patientId: who.kind === 'patient' ? who.patientId : null, after: as });
}

/** Remembers the chat on the person's record so that reminders can reach it (when not taken by another). */
export async function rememberChat(ctx: DomainContext, who: ChatIdentity, channel: 'telegram' | 'whatsapp', chatId: string) {
  const column = channel === 'telegram' ? 'telegram_chat_id' : 'whatsapp_id';
  const table = who.kind === 'guardian' ? 'guardians' : 'patients';
  const id = who.kind === 'guardian' ? who.guardianId : who.patientId;
  const taken = await ctx.db.selectFrom(table).select('id').where(column, '=', chatId).executeTakeFirst();
  if (taken) return;
  await ctx.db
    .updateTable(table)
    .set({ [column]: chatId, preferred_channel: channel })
    .where('id', '=', id)
    .execute();
}

const registration = z.discriminatedUnion('for', [
  z.object({ for: z.literal('self'), fullName: personName, phone: messagingPhone, language: z.enum(['en', 'hi']) }),
  z.object({
    for: z.literal('child'),
    fullName: personName,
    phone: messagingPhone,
    language: z.enum(['en', 'hi']),
    childName: personName,
    childDateOfBirth: isoDate,
  }),
]);
export type ChatRegistration = z.input<typeof registration>;

/** A newcomer registers from a chat: the person (and child), and their consents, in one transaction. */
export async function registerFromChat(ctx: DomainContext, raw: ChatRegistration, channel: ConsentChannel): Promise<ChatIdentity> {
  const input = parseInput(registration, raw);
  return inTransaction(withActor(ctx, systemActor), async (tx) => {
    let who: ChatIdentity;
    if (input.for === 'self') {
      const patient = await addPatient(tx, { fullName: input.fullName, phone: input.phone, language: input.language, allowDuplicate: true });
      who = { kind: 'patient', patientId: patient.id, name: input.fullName };
    } else {
      const guardian = await addGuardian(tx, { fullName: input.fullName, phone: input.phone, language: input.language });
      await addPatient(tx, {
        fullName: input.childName,
        dateOfBirth: input.childDateOfBirth,
        language: input.language,
        allowDuplicate: true,
        withGuardian: { guardianId: guardian.id, isPrimary: true },
      });
      who = { kind: 'guardian', guardianId: guardian.id, name: input.fullName };
    }
    for (const purpose of ['data_processing', 'messaging'] as const) await grantConsent(tx, who, purpose, channel);
    return who;
  });
}

function owner(who: ChatIdentity) {
  return who.kind === 'guardian' ? { guardian_id: who.guardianId } : { patient_id: who.patientId };
}

async function grantConsent(ctx: DomainContext, who: ChatIdentity, purpose: 'data_processing' | 'messaging' | 'marketing', channel: ConsentChannel) {
  await ctx.db
    .insertInto('consents')
    .values({ ...owner(who), purpose, channel, notice_version: CHAT_NOTICE_VERSION, granted_at: ctx.clock.now() })
    .execute();
  await recordAudit(ctx, {
    action: 'consent.grant',
    entity: who.kind,
    entityId: who.kind === 'guardian' ? who.guardianId : who.patientId,
    patientId: who.kind === 'patient' ? who.patientId : null,
    after: { purpose, channel, noticeVersion: CHAT_NOTICE_VERSION },
  });
}

/**
 * "stop": no more reminders or offers (messaging and marketing consents withdrawn, the opt-out
 * stamped); "start": back on, recorded as fresh consents.
 */
export async function setChatMessaging(ctx: DomainContext, who: ChatIdentity, on: boolean, channel: ConsentChannel): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    const table = who.kind === 'guardian' ? 'guardians' : 'patients';
    const id = who.kind === 'guardian' ? who.guardianId : who.patientId;
    await tx.db
      .updateTable(table)
      .set({ reminders_opted_out_at: on ? null : now })
      .where('id', '=', id)
      .execute();
    if (on) {
      for (const purpose of ['messaging', 'marketing'] as const) await grantConsent(tx, who, purpose, channel);
      return;
    }
    await tx.db
      .updateTable('consents')
      .set({ withdrawn_at: now })
      .where(who.kind === 'guardian' ? 'guardian_id' : 'patient_id', '=', id)
      .where('purpose', 'in', ['messaging', 'marketing'])
      .where('withdrawn_at', 'is', null)
      .execute();
    await recordAudit(tx, {
      action: 'consent.withdraw',
      entity: who.kind,
      entityId: id,
      patientId: who.kind === 'patient' ? who.patientId : null,
      after: { purposes: ['messaging', 'marketing'], channel },
    });
  });
}
