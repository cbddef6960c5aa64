export type { RefUpdate, RefUpdatedEvent, RefEventSink, RefUpdateContext } from './refs/ref-update.js';
export { applyRefUpdates, readRef } from './refs/ref-update.js';
export { isValidRefName, isValidShortRefName } from './refs/ref-name.js';
