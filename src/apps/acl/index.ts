export { AclApp, ACL_APP_ID, ACL_RULES_PREFIX } from './app.js';
export { aclFlows, aclMatch, aclPriority, rulesOverlap } from './flows.js';
export {
  parseAclRule,
  aclRuleToJson,
  sameAclMatch,
  ACL_KEYS,
  MAX_ACL_ID,
  type AclRule,
  type AclRuleInput,
} from './rule.js';
