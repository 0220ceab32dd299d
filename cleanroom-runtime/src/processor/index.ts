/** The event processor's pure core (no I/O): state, rules, effects and per-participant views. */
export * from './state';
export * from './context';
export * from './effects';
export * from './decision';
export * from './apply-event';
export * from './apply-events';
export * from './runs';
export * from './views';
export { checkObjectName, checkDataLocation, checkOutputLocation, codePathSegment, parseGsUri, TABLE_NAME } from './names';
export { sha256Hex, decodeNotebook, detectLanguage, MAX_NOTEBOOK_BYTES } from './code-content';
export { parseParameters } from './parameters';
export { checkDatasetName, checkFormat, DATASET_FORMATS } from './data-rules';
export { parseJobSchedule, runKey, parseRunKey, runTarget, advanceSchedules, hasScheduleWork, AD_HOC_SCHEDULE } from './schedules';
export { parseCron, nextOccurrence, previousOccurrence, cronNeverFires, type CronSchedule } from './cron';
