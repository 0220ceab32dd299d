/** The runtime's I/O layer: passes over the object store, the state store and participant control tables. */
export { runPass, runDecidePhase, type PassOptions, type PassReport } from './run-pass';
export { onboardParticipant, appendEvent, appendEventRow, overwriteControlTable, PARTICIPANT_FOLDERS, type NewEvent } from './control-tables';
export { readNewEvents, hasEventsTable, type NewEvents } from './events-reader';
export { inspectLocation } from './location-facts';
export { loadLatestState, commitState, stateKey, StateConflictError, type LoadedState } from './state-store';
export { participantInfos, type RuntimeSettings } from './settings';
export { datasetRefs } from './effects-runner';
