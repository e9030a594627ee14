/**
 * The flows the firewall causes and how they are found again (pure message builders).
 *
 * Cookies: the low 48 bits of a cookie are free for the owning app. A flow that caches a firewall decision
 * carries `DECIDED_BIT | ruleId` there (rule id 0: the default deny), under the firewall's own app bits for
 * its drop flows and under forwarding's app bits for the forwarding flows an allow caused (forwarding copies
 * the tag from PacketDecision.notes.forwarding.cookieTag). Deleting rule N then deletes, on OpenFlow 1.3,
 * exactly the flows with that tag under either app (cookie + full mask). OpenFlow 1.0 cannot filter a delete
 * by cookie: there the firewall remembers the matches it decided per rule and deletes by those matches
 * (non-strict, so forwarding's narrower per-hop flows go too).
 */
import { APP_COOKIE_MASK, flowDelete, flowMod, type OfMessageBody } from '../../controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type Match } from '../../openflow/index.js';

/** Marks a cookie's low bits as "caches a firewall decision". */
export const DECIDED_BIT = 1n << 32n;
export const RULE_TAG_MASK = DECIDED_BIT | 0xffff_ffffn;
/** Above forwarding's flows (10) and its own deny flows (20). */
export const FIREWALL_DENY_PRIORITY = 30;

/** Low cookie bits for flows caused by `ruleId` (undefined: the default deny). */
export function ruleCookieTag(ruleId: number | undefined): bigint {
  return DECIDED_BIT | BigInt(ruleId ?? 0);
}

/** The rule id a cookie's tag names: a number, 0 for the default deny, undefined when untagged. */
export function ruleIdOfCookie(cookie: bigint): number | undefined {
  return (cookie & DECIDED_BIT) === 0n ? undefined : Number(cookie & 0xffff_ffffn);
}

export function denyFlowMod(
  appCookie: bigint,
  tag: bigint,
  match: Match,
  bufferId: number,
  idleTimeout: number,
): OfMessageBody {
  return flowMod({
    cookie: appCookie | tag,
    tableId: 0,
    idleTimeout,
    priority: FIREWALL_DENY_PRIORITY,
    bufferId,
    match,
    instructions: [],
  });
}

function deleteMod(match: Match, cookie: bigint, cookieMask: bigint, of13: boolean): OfMessageBody {
  return flowDelete({ match, cookie, cookieMask }, of13 ? OFP_VERSION_1_3 : OFP_VERSION_1_0);
}

/**
 * OpenFlow 1.3: deletes of every flow tagged for one rule (`tag`) or, with `tag` undefined, of every flow
 * that caches any firewall decision, under each of `appCookies`.
 */
export function deleteByTag(appCookies: readonly bigint[], tag: bigint | undefined): OfMessageBody[] {
  return appCookies.map((c) =>
    tag === undefined
      ? deleteMod({}, c | DECIDED_BIT, APP_COOKIE_MASK | DECIDED_BIT, true)
      : deleteMod({}, c | tag, APP_COOKIE_MASK | RULE_TAG_MASK, true),
  );
}

/** OpenFlow 1.3: every flow of one app (`appCookie` in the high bits), tagged or not. */
export function deleteAppFlows(appCookie: bigint): OfMessageBody {
  return deleteMod({}, appCookie, APP_COOKIE_MASK, true);
}

/** A non-strict delete by match, any cookie (OpenFlow 1.0's only way; version picks the table field). */
export function deleteByMatch(match: Match, version: number): OfMessageBody {
  return deleteMod(match, 0n, 0n, version === OFP_VERSION_1_3);
}
