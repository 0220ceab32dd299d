export { LocalEngine } from './local-engine';
export { DEFAULT_LOCAL_ENGINE_LIMITS, localEngineLimits } from './limits';
export type { LocalEngineLimits, LocalEngineOptions } from './local-engine';
export { runIdFor, RunRecordStore } from './run-records';
export type { RunRecord } from './run-records';
export { LOCK_STATEMENTS, DEFAULT_LIMITS } from './sandbox';
export type { DeltaBridge, DeltaSnapshotFiles } from './delta-bridge';
