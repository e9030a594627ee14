/**
 * Host-aware networking (issue 10): rules on host metrics that act through the other apps. Each part exports
 * from its own block; keep the blocks sorted by file.
 */

// actions.ts: what an action does through the other apps' handles, and its undo record.
export {
  ActionError,
  actionIssues,
  applyAction,
  checkActionBody,
  parseApplied,
  substitute,
  tagOf,
  undoAction,
  type ActionHost,
  type ActionTargets,
  type Applied,
  type ServiceTarget,
} from './actions.js';

// app.ts: the app (sources polled, hosts, rules, actions, messages).
export {
  HAND_PREFIX,
  HOSTAWARE_APP_ID,
  HostAwareApp,
  type HandStatus,
  type HostAwareOptions,
  type MetricValue,
  type MonitoredHostView,
  type RuleView,
  type SourceState,
  type SourceView,
} from './app.js';

// eval.ts: the pure evaluation core (conditions, windows, check limit, hysteresis, priority arbitration).
export {
  HandEngine,
  SampleRing,
  aggregate,
  arbitrate,
  byPrecedence,
  combine,
  compare,
  conditionMet,
  conflictKey,
  conflicts,
  pickLeast,
  readCondition,
  type Contender,
  type EngineOptions,
  type EventType,
  type HandEvent,
  type HostSamples,
  type MetricPoint,
  type RuleHostStatus,
  type RuleState,
} from './eval.js';

// messages.ts: the bounded message log the API pages and streams.
export { MessageLog, type HandMessage, type MessageInput, type MessagePage } from './messages.js';

// rules.ts: the rule model, /api/v1 and FL_HAND JSON, validation.
export {
  ACTION_TYPES,
  AGGREGATIONS,
  COMPARATORS,
  FL_HAND_KEYS,
  HandError,
  RULE_KEYS,
  actionParamsJson,
  fromFlHand,
  parseActionParams,
  parseCondition,
  parseFlMetric,
  parseHostSelector,
  parseNumber,
  parseRule,
  ruleJson,
  selectorMatches,
  toFlHand,
  type ActionType,
  type Aggregation,
  type Comparator,
  type Condition,
  type FlHandRule,
  type HandAction,
  type HandRule,
  type HostRef,
  type HostSelector,
  type Join,
  type LoadBalanceParams,
  type RerouteParams,
  type Window,
} from './rules.js';
