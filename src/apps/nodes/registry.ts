/**
 * The nodes' stored state (works on either store backend): node descriptions and the control cluster
 * description, each with its revision history, and the transport node registrations provisioning makes.
 * Values come in checked (the API checks bodies against the schemas); this adds the checks that need the store
 * (a registration needs a description) and keeps the history. Every stored record is checked again on read,
 * so a damaged one is reported naming its key instead of being served.
 *
 *   /apps/nodes/descriptions/NAME           NodeRecord (the current revision)
 *   /apps/nodes/history/NAME/REVISION       NodeRevision (created, updated, deleted)
 *   /apps/nodes/cluster/current             ClusterDescriptionRecord
 *   /apps/nodes/cluster/history/REVISION    ClusterRevision
 *   /apps/nodes/transport/NAME              StoredRegistration
 */
import { Type, type TSchema } from '@sinclair/typebox';
import {
  ClusterDescriptionRecord,
  ClusterRevision,
  firstFault,
  NodeRecord,
  NodeRevision,
  TransportNodeRegistration,
  type ControlCluster,
  type NodeDescription,
} from '../../schema/index.js';
import { collection, type Collection, type Store } from '../../store/index.js';
import { FieldError, NotFoundError } from '../../util/index.js';
import { planApply, revisionKey, type AppliedChange } from './revisions.js';
import { checkRegistration, type StoredRegistration } from './views.js';

export const NODES_PREFIX = '/apps/nodes/';
const CLUSTER_KEY = 'current';

const StoredRegistrationSchema = Type.Object(
  {
    registered: Type.String({ format: 'date-time' }),
    registration: TransportNodeRegistration,
  },
  { additionalProperties: false },
);

/** A store validator from a schema: the first fault, naming the field. */
function checkedBy<T>(schema: TSchema): (v: unknown) => T {
  return (v) => {
    const f = firstFault(schema, v);
    if (f) throw new Error(`${f.field || 'value'}: ${f.reason}`);
    return v as T;
  };
}

export interface Applied {
  revision: number;
  changed: boolean;
  change: AppliedChange;
}

export class NodeRegistry {
  private readonly current: Collection<NodeRecord>;
  private readonly cluster: Collection<ClusterDescriptionRecord>;
  private readonly clusterHistory: Collection<ClusterRevision>;
  private readonly transport: Collection<StoredRegistration>;

  constructor(
    private readonly store: Store,
    /** Milliseconds since the epoch (injectable for tests). */
    private readonly now: () => number = Date.now,
  ) {
    this.current = collection(store, `${NODES_PREFIX}descriptions/`, checkedBy(NodeRecord));
    this.cluster = collection(store, `${NODES_PREFIX}cluster/`, checkedBy(ClusterDescriptionRecord));
    this.clusterHistory = collection(store, `${NODES_PREFIX}cluster/history/`, checkedBy(ClusterRevision));
    this.transport = collection(store, `${NODES_PREFIX}transport/`, checkedBy(StoredRegistrationSchema));
  }

  private history(name: string): Collection<NodeRevision> {
    return collection(this.store, `${NODES_PREFIX}history/${name}/`, checkedBy(NodeRevision));
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  // ---- node descriptions

  async list(): Promise<NodeRecord[]> {
    return (await this.current.list()).map((i) => i.value);
  }

  async get(name: string): Promise<NodeRecord | undefined> {
    return (await this.current.get(name))?.value;
  }

  /** The node's revisions, oldest first (deletions included); empty when it was never applied. */
  async revisions(name: string): Promise<NodeRevision[]> {
    return (await this.history(name).list()).map((i) => i.value);
  }

  /**
   * Creates or updates a node's description (the same description again is a no-op). `name` is the one the
   * caller addressed (a path); it must be the description's own. `dryRun` reports what would happen.
   */
  async apply(name: string, description: NodeDescription, dryRun = false): Promise<Applied> {
    if (description.name !== name) {
      throw new FieldError(
        'name',
        `${JSON.stringify(description.name)} differs from the node addressed (${name}); they must match`,
      );
    }
    for (;;) {
      const item = await this.current.get(name);
      const last = (await this.revisions(name)).at(-1)?.revision ?? 0;
      const plan = planApply(description, item?.value, last);
      if (plan.change === 'unchanged' || dryRun) return { ...plan, changed: plan.change !== 'unchanged' };
      const updated = this.at();
      const record: NodeRecord = { name, revision: plan.revision, updated, description };
      // The current record decides who wins a race; only the winner writes its history entry.
      if (!(await this.current.compareAndSwap(name, item?.revision ?? 0, record))) continue;
      await this.history(name).put(revisionKey(plan.revision), {
        revision: plan.revision,
        applied: updated,
        change: plan.change,
        description,
      });
      return { ...plan, changed: true };
    }
  }

  /** Deletes a node's description; its history stays, ending with a `deleted` revision. */
  async delete(name: string): Promise<NodeRevision> {
    const item = await this.current.get(name);
    if (!item) throw new NotFoundError('name', `node ${name} has no description`);
    const last = (await this.revisions(name)).at(-1)?.revision ?? 0;
    const revision = Math.max(last, item.value.revision) + 1;
    // The store has no compare-and-delete: an apply racing this delete may be undone by it (and says so in
    // the history, whose last entry is this deletion).
    await this.current.delete(name);
    const entry: NodeRevision = { revision, applied: this.at(), change: 'deleted' };
    await this.history(name).put(revisionKey(revision), entry);
    return entry;
  }

  // ---- the control cluster description

  async clusterDescription(): Promise<ClusterDescriptionRecord | undefined> {
    return (await this.cluster.get(CLUSTER_KEY))?.value;
  }

  async clusterRevisions(): Promise<ClusterRevision[]> {
    return (await this.clusterHistory.list()).map((i) => i.value);
  }

  async applyCluster(description: ControlCluster, dryRun = false): Promise<Applied> {
    for (;;) {
      const item = await this.cluster.get(CLUSTER_KEY);
      const last = (await this.clusterRevisions()).at(-1)?.revision ?? 0;
      const plan = planApply(description, item?.value, last);
      if (plan.change === 'unchanged' || dryRun) return { ...plan, changed: plan.change !== 'unchanged' };
      const updated = this.at();
      const record = { revision: plan.revision, updated, description };
      if (!(await this.cluster.compareAndSwap(CLUSTER_KEY, item?.revision ?? 0, record))) continue;
      await this.clusterHistory.put(revisionKey(plan.revision), {
        revision: plan.revision,
        applied: updated,
        change: plan.change === 'created' ? 'created' : 'updated',
        description,
      });
      return { ...plan, changed: true };
    }
  }

  // ---- transport node registrations

  async registrations(): Promise<{ name: string; stored: StoredRegistration }[]> {
    return (await this.transport.list()).map((i) => ({ name: i.name, stored: i.value }));
  }

  async registration(name: string): Promise<StoredRegistration | undefined> {
    return (await this.transport.get(name))?.value;
  }

  /** Registers (or re-registers) a provisioned node; it must have a description that agrees. */
  async register(name: string, registration: TransportNodeRegistration): Promise<StoredRegistration> {
    checkRegistration(name, registration, (await this.get(name))?.description);
    const stored = { registered: this.at(), registration };
    await this.transport.put(name, stored);
    return stored;
  }

  async unregister(name: string): Promise<StoredRegistration> {
    const item = await this.transport.get(name);
    if (!item) throw new NotFoundError('name', `transport node ${name} is not registered`);
    await this.transport.delete(name);
    return item.value;
  }
}
