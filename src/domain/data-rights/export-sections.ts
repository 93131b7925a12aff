// What the export of a patient's data (export.ts) covers, as one list: EXPORT_SECTIONS (what each
// file holds, from which tables) and NOT_EXPORTED (tables about people left out, and why).
// tests/data-rights/export-coverage reads the schema and fails when a table that refers to a patient
// or a guardian (directly or through other tables) is in neither.

/** The files of data/, in order: which tables each is read from, and which of their rows. */
export const EXPORT_SECTIONS = [
  { name: 'profile', tables: ['patients'], description: 'The patient’s record' },
  {
    name: 'guardians',
    tables: ['guardians', 'patient_guardians'],
    description: 'Parents and guardians linked to the patient, with the relationship (not their links to other children)',
  },
  {
    name: 'consents',
    tables: ['consents'],
    description: 'Consents about the patient, and the guardians’ own (purpose, channel, notice, granted, withdrawn); not those about other children',
  },
  { name: 'treating-therapists', tables: ['patient_therapists'], description: 'The therapists assigned to treat the patient' },
  { name: 'appointments', tables: ['appointments'], description: 'Appointments, with the therapist and service' },
  { name: 'appointment-series', tables: ['appointment_series'], description: 'Weekly series booked' },
  { name: 'waitlist', tables: ['waitlist_entries'], description: 'Waitlist entries' },
  { name: 'waitlist-offers', tables: ['waitlist_offers'], description: 'Places offered from the waitlist, and how each offer ended' },
  { name: 'packages', tables: ['patient_packages'], description: 'Session packages' },
  { name: 'package-draws', tables: ['package_draws'], description: 'Sessions drawn from packages' },
  { name: 'payments', tables: ['payments'], description: 'Payments' },
  { name: 'refunds', tables: ['refunds'], description: 'Refunds' },
  { name: 'receipts', tables: ['receipts'], description: 'Receipts and credit notes, as issued' },
  {
    name: 'payment-gateway-events',
    tables: ['webhook_events'],
    description: 'Notices from the payment gateway (Razorpay) about the patient’s payments and refunds, as received',
  },
  { name: 'session-notes', tables: ['therapy_sessions'], description: 'Therapy session notes' },
  { name: 'assessments', tables: ['assessments'], description: 'Assessments, their findings and scores' },
  { name: 'goals', tables: ['goals'], description: 'Therapy goals' },
  { name: 'goal-measurements', tables: ['goal_measurements'], description: 'Measurements of the goals' },
  { name: 'documents', tables: ['documents'], description: 'Documents (the files themselves are in documents/)' },
  {
    name: 'messages',
    tables: ['notifications'],
    description:
      'Messages the clinic sent or meant to send about the patient, to the patient or a guardian: about their appointments, payments, refunds, series and waitlist offers, and the clinic’s replies in the chats below',
  },
  {
    name: 'chats',
    tables: ['bot_conversations'],
    description:
      'The patient’s own chats with the clinic’s bots, and those of a guardian linked to this patient only (a guardian of other children too is left out: their chats are also about those children)',
  },
  { name: 'chat-messages', tables: ['inbox_messages'], description: 'Messages of those chats handed to the clinic' },
  {
    name: 'chat-files',
    tables: ['pending_chat_documents'],
    description: 'Files sent in those chats and not yet filed to a record (the files themselves are in chat-files/)',
  },
  {
    name: 'audit',
    tables: ['audit_log'],
    description:
      'The audit log’s entries about the patient: those naming the patient, those about the patient’s own records (appointments, payments, refunds, waitlist entries and offers, documents, messages, chats…) and the patient’s own actions, and those about the guardians above as people (never their entries about another child)',
  },
] as const;

export type ExportSectionName = (typeof EXPORT_SECTIONS)[number]['name'];

/** Tables that refer to patients or guardians but are not exported, each with the reason. */
export const NOT_EXPORTED: Readonly<Record<string, string>> = {
  // Every other table that refers to a person is exported (see EXPORT_SECTIONS for which rows).
  // A table added here must say why, e.g. "staff sign-in sessions: about staff, never a patient".
  erasure_ledger: 'the record that a patient was erased (ids, times, who): it exists only once the patient is erased, when there is no one left to export',
  updates_in_hand:
    'messages a bot has taken and not yet answered, kept for seconds (until the next start after a crash); once answered, what they did is in the chats above',
};

/**
 * Rows of exported tables that are left out on purpose: each about another person as much as about
 * this patient, or about them alone. Said here so that the export's limits are decided, not forgotten.
 */
export const ROWS_NOT_EXPORTED: ReadonlyArray<{ tables: readonly string[]; rows: string; reason: string }> = [
  {
    tables: ['bot_conversations', 'inbox_messages', 'pending_chat_documents', 'notifications'],
    rows: 'the chats (their messages, waiting files and the clinic’s replies) of a guardian who has another child here',
    reason: 'the guardian’s own conversation, about all their children (a sibling is named in it); the guardian’s, not this patient’s alone',
  },
  {
    tables: ['patient_guardians', 'consents', 'appointments', 'notifications', 'audit_log'],
    rows: 'a shared guardian’s links, consents, bookings, messages and audit entries about another child',
    reason: 'they are the other child’s data',
  },
  {
    tables: ['audit_log'],
    rows: 'entries recorded without a patient id whose entity is nothing in this export (e.g. a guardian acting on a slot)',
    reason: 'nothing in them says which child they are about',
  },
];
