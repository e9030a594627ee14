/**
 * The `staticflows` app: Floodlight's static entry pusher. `StaticFlowsApp` (register it with the
 * controller) exposes add/delete/clear/list; `parseEntry`/`entryToJson` are the pure entry codec.
 */
export {
  StaticFlowsApp,
  STATICFLOWS_APP_ID,
  ENTRIES_PREFIX,
  type AddResult,
  type ListedEntry,
} from './app.js';
export { parseEntry, entryToJson, matchToJson, entryInstructions, type StaticEntry } from './entry.js';
export { checkForSwitch, entryFlowSpec, entryCookie, type SwitchFacts } from './flows.js';
export { parseActions, actionsText } from './actions.js';
export { EntryError } from './values.js';
export { GroupWriter } from './writer.js';
