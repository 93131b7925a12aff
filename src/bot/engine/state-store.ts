// The engine's conversations are stored by the domain (src/domain/messaging/conversations.ts). This
// re-export keeps engine.ts and src/jobs/dispatcher.ts, which other branches are changing, as they
// are until they import the domain module themselves; then it goes.
export { STATE_VERSION, initialState, loadConversation, saveConversation, offerActionsInChat } from '../../domain/messaging/conversations.js';
