export {
  FirewallApp,
  FIREWALL_APP_ID,
  RULES_PREFIX,
  ENABLED_KEY,
  SUBNET_MASK_KEY,
  DEFAULT_SUBNET_MASK,
  parseRuleId,
  type FirewallOptions,
  type Outgoing,
} from './app.js';
export {
  decide,
  ruleMatches,
  pinnedMatch,
  sortRules,
  parseSubnetMask,
  type FirewallDecision,
  type PacketFacts,
} from './decide.js';
export {
  DECIDED_BIT,
  RULE_TAG_MASK,
  FIREWALL_DENY_PRIORITY,
  ruleCookieTag,
  ruleIdOfCookie,
} from './flows.js';
export {
  parseRule,
  ruleToJson,
  sameRule,
  RuleError,
  RULE_KEYS,
  type FirewallRule,
  type FirewallAction,
  type Prefix,
  type RuleInput,
} from './rule.js';
