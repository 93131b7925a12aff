import { FlowRegistry } from '../engine/flow-registry.js';
import { bookFlow } from './book.js';
import { identifyFlow } from './identify.js';
import { languageFlow } from './language.js';
import { menuFlow } from './menu.js';
import { myAppointmentsFlow } from './my-appointments.js';
import { patientChoiceFlow } from './patient-choice.js';
import { payFlow } from './pay.js';
import { reminderActionsFlow } from './reminder-actions.js';
import { sendDocumentFlow } from './send-document.js';
import { sharedDocumentsFlow } from './shared-documents.js';
import { talkToClinicFlow } from './talk-to-clinic.js';
import { waitlistFlow } from './waitlist.js';

// Every flow the engine knows, by name: the one module that imports them all (flows never import one another).

export const flows = new FlowRegistry({
  identify: identifyFlow,
  menu: menuFlow,
  language: languageFlow,
  'patient-choice': patientChoiceFlow,
  book: bookFlow,
  'my-appointments': myAppointmentsFlow,
  pay: payFlow,
  waitlist: waitlistFlow,
  'reminder-actions': reminderActionsFlow,
  'send-document': sendDocumentFlow,
  'shared-documents': sharedDocumentsFlow,
  'talk-to-clinic': talkToClinicFlow,
});
