/** Adapters from the firewall and ACL apps to the API's views (canonical rule JSON). */
import type { AclView } from '../api/routes/acl.js';
import type { FirewallView } from '../api/routes/firewall.js';
import { aclRuleToJson, type AclApp } from '../apps/acl/index.js';
import { ruleCookieTag, ruleToJson, type FirewallApp, type FirewallRule } from '../apps/firewall/index.js';

function firewallEntry(r: FirewallRule): Record<string, string> {
  return { ...ruleToJson(r), cookieTag: `0x${ruleCookieTag(r.id).toString(16)}` };
}

export function firewallView(app: FirewallApp): FirewallView {
  return {
    enabled: () => app.enabled,
    setEnabled: (on) => app.setEnabled(on),
    rules: () => app.list().map(firewallEntry),
    add: async (body) => firewallEntry(await app.add(body)),
    delete: async (id) => firewallEntry(await app.delete(id)),
    subnetMask: () => app.subnetMaskOf(),
    setSubnetMask: (mask) => app.setSubnetMask(mask),
  };
}

export function aclView(app: AclApp): AclView {
  return {
    rules: () => app.list().map(aclRuleToJson),
    add: async (body) => aclRuleToJson(await app.add(body)),
    delete: async (id) => aclRuleToJson(await app.delete(id)),
    clear: () => app.clear(),
  };
}
