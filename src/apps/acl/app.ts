/**
 * The ACL app (Floodlight's ACL module): rules in the store, pushed proactively to every switch as
 * reconciled permanent flows (flows.ts). Floodlight pushed a rule only to the switches of the source (or
 * destination) host; Sluice pushes every rule to every switch, which needs no host knowledge, holds before
 * a host is first seen and after it moves, and costs one flow per rule per switch. A controller restart
 * re-reads the rules and the reconciler finds the flows already in place, so nothing is wiped.
 */
import {
  DEFAULT_PIPELINE,
  appCookie,
  type App,
  type AppContext,
  type FlowSpec,
  type SwitchSession,
} from '../../controller/index.js';
import { ConflictError, NotFoundError, SerialQueue } from '../../util/index.js';
import { loadStoredRules, parseRuleId, parseStoredRule } from '../firewall/index.js';
import { StoreFollower, putUnderFreeId, sameJson, type StoreChange } from '../follow.js';
import { aclFlows } from './flows.js';
import { MAX_ACL_ID, aclRuleToJson, parseAclRule, sameAclMatch, type AclRule } from './rule.js';

export const ACL_APP_ID = 5;
export const ACL_RULES_PREFIX = '/apps/acl/rules/';

export class AclApp implements App {
  readonly name = 'acl';
  readonly cookie = appCookie(ACL_APP_ID);
  private ctx: AppContext | undefined;
  private readonly rules = new Map<number, AclRule>();
  /** Per OpenFlow version (the band differs), computed on first use after a change. */
  private readonly flows = new Map<number, FlowSpec[]>();
  /** Store writes and the state changes that follow them, one at a time. */
  private readonly serial = new SerialQueue();
  private follower?: StoreFollower;

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    this.follower = new StoreFollower({
      store: ctx.store,
      prefixes: [ACL_RULES_PREFIX],
      apply: (changes) => this.reload(changes),
      serialize: (fn) => this.serial.run(fn),
      log: ctx.log,
      app: this.name,
    });
    for (const [id, rule] of await loadStoredRules(ctx, ACL_RULES_PREFIX, parseAclRule, 'ACL rule')) {
      this.rules.set(id, rule);
    }
    this.follower.start();
  }

  stop(): void {
    this.follower?.stop();
  }

  /** Resolves when the store changes seen so far are in memory (tests). */
  synced(): Promise<void> {
    return this.follower?.settled() ?? Promise.resolve();
  }

  /** Rules changed in the store by someone else (another cluster member): memory follows, flows reconcile. */
  private reload(changes: StoreChange[]): void {
    let changed = false;
    for (const { key, entry } of changes) {
      const rule =
        entry && parseStoredRule(this.ctx!, ACL_RULES_PREFIX, key, entry.value, parseAclRule, 'ACL rule');
      const id = Number(key.slice(ACL_RULES_PREFIX.length));
      const old = this.rules.get(id);
      if (rule && old && sameJson(aclRuleToJson(rule), aclRuleToJson(old))) continue;
      if (!rule && !old) continue;
      if (rule) this.rules.set(id, rule);
      else this.rules.delete(id);
      changed = true;
    }
    if (changed) this.changed();
  }

  desiredFlows(sw: SwitchSession): FlowSpec[] {
    let flows = this.flows.get(sw.version);
    if (!flows) {
      const place = (this.ctx?.pipeline ?? DEFAULT_PIPELINE).place(this.name, 'rules', sw.version);
      this.flows.set(sw.version, (flows = aclFlows([...this.rules.values()], this.cookie, place)));
    }
    return flows;
  }

  /** Rules in precedence order (earliest first). */
  list(): AclRule[] {
    return [...this.rules.values()].sort((a, b) => a.id - b.id);
  }

  add(body: unknown): Promise<AclRule> {
    return this.serial.run(async () => {
      const input = parseAclRule(body);
      const clash = this.list().find((r) => sameAclMatch(r, input));
      if (clash) throw new ConflictError('body', `the rule matches existing rule ${clash.id}`);
      return this.insert(input);
    });
  }

  /**
   * Adds the rule, or returns the existing one with the same match (created false) instead of refusing it:
   * for apps that need the entry in place and must not remove one they did not create.
   */
  addOrReuse(body: unknown): Promise<{ rule: AclRule; created: boolean }> {
    return this.serial.run(async () => {
      const input = parseAclRule(body);
      const clash = this.list().find((r) => sameAclMatch(r, input));
      if (clash) return { rule: clash, created: false };
      return { rule: await this.insert(input), created: true };
    });
  }

  /** Stores a parsed rule whose match is new; call inside the serial queue. */
  private async insert(input: ReturnType<typeof parseAclRule>): Promise<AclRule> {
    if (input.id !== undefined && this.rules.has(input.id)) {
      throw new ConflictError('ruleid', `rule ${input.id} already exists`);
    }
    const id = await putUnderFreeId(
      (id) => this.store().compareAndSwap(ACL_RULES_PREFIX + id, 0, aclRuleToJson({ ...input, id })),
      input.id ?? Math.max(0, ...this.rules.keys()) + 1,
      input.id !== undefined,
      MAX_ACL_ID,
      (id) => new ConflictError('ruleid', `rule ${id} already exists`),
      () => new ConflictError('ruleid', `no rule id left (largest is ${MAX_ACL_ID}); clear some rules`),
    );
    const rule: AclRule = { ...input, id };
    this.rules.set(id, rule);
    this.changed();
    return rule;
  }

  delete(rawId: unknown): Promise<AclRule> {
    return this.serial.run(async () => {
      const id = parseRuleId(rawId);
      const rule = this.rules.get(id);
      if (!rule) throw new NotFoundError('ruleid', `no ACL rule ${id}`);
      await this.store().delete(ACL_RULES_PREFIX + id);
      this.rules.delete(id);
      this.changed();
      return rule;
    });
  }

  /** Deletes every rule; resolves to how many there were. */
  clear(): Promise<number> {
    return this.serial.run(async () => {
      const ids = [...this.rules.keys()];
      for (const id of ids) {
        await this.store().delete(ACL_RULES_PREFIX + id);
        this.rules.delete(id);
      }
      this.changed();
      return ids.length;
    });
  }

  private changed(): void {
    this.flows.clear();
    this.ctx?.requestReconcile(this.name);
  }

  private store() {
    if (!this.ctx) throw new Error('acl: not started');
    return this.ctx.store;
  }
}
