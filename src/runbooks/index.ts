export { type Classification, classifyCommand, findPlaceholders } from './classify.js';
export { parseDuration } from './extract-timers.js';
export { type LoadedRunbooks, loadRunbookPaths, loadRunbooks, RUNBOOK_EXTENSIONS } from './load.js';
export {
  createLibrary,
  duplicateAlertWarnings,
  type LibraryWarning,
  type MatchedBy,
  type MatchResult,
  normalizeAlertName,
  type RunbookLibrary,
} from './match.js';
export { repairMojibake } from './mojibake.js';
export { parseRunbook } from './parse.js';
export {
  Command,
  Executor,
  normalizeSeverity,
  Risk,
  RunbookDocument,
  RunbookSection,
  SectionKind,
  Severity,
  Step,
  Template,
  Timer,
  TimerKind,
  Warning,
} from './schema.js';
