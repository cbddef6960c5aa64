export type { RefUpdate, RefUpdatedEvent, RefEventSink, RefUpdateContext } from './git/index.js';
export { applyRefUpdates, readRef, isValidRefName, isValidShortRefName } from './git/index.js';
