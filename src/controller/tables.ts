/**
 * The flow pipeline, declared once as data (the shape of Faucet's faucet_pipeline.py): which stage (table)
 * each app's flows go to and which priority band they take there, for OpenFlow 1.3 and 1.0.
 *
 * OpenFlow 1.3 has several tables: `filter` (ACL and firewall decide: drop, or go on), `qos` (mark or meter,
 * then go on), `forwarding` (reactive paths and, by default, static entries). A table's miss entry goes to
 * the next table; the last one's sends the packet to the controller, where the firewall decides reactively.
 * OpenFlow 1.0 has one table: the same stages become priority bands in the same order, so a deny in the
 * filter band outranks every QoS and forwarding flow on both versions.
 *
 * The controller checks the bands of the apps it registers for overlap (naming both apps) and refuses a
 * FlowSpec outside its app's bands (as Faucet's valve_table asserts its flows against the table config).
 */
import {
  OFPCML_NO_BUFFER,
  OFPP,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type Instruction,
  type OfVersion,
} from '../openflow/index.js';
import type { FlowSpec } from './app.js';

/** Inclusive priority range. */
export type PriorityRange = readonly [low: number, high: number];

export interface StageDecl {
  readonly name: string;
  /** The table on OpenFlow 1.3 (OpenFlow 1.0: always 0). */
  readonly of13Table: number;
}

export interface BandDecl {
  readonly app: string;
  /** An app may own several bands (forwarding: its paths, and the verdicts it caches). */
  readonly role: string;
  readonly stage: string;
  readonly of13: PriorityRange;
  readonly of10: PriorityRange;
  /** Flows come from permanent intent (reconciled), not from packet-ins. */
  readonly intent: boolean;
  /**
   * The band only says where flows go by default: users place this app's flows (static entries) where they
   * want, so they are neither refused outside it nor checked for overlap.
   */
  readonly userPlaced?: boolean;
}

export interface PipelineDecl {
  /** In packet order: filter first, the table-miss of each goes to the next. */
  readonly stages: readonly StageDecl[];
  readonly bands: readonly BandDecl[];
}

/** Where one band's flows go on a switch of one version. */
export interface Place {
  readonly tableId: number;
  readonly low: number;
  readonly high: number;
  /** OpenFlow 1.3: the next stage's table (a goto_table target); undefined on 1.0 and in the last stage. */
  readonly next?: number;
}

/** Sluice's controller pipeline. */
export const SLUICE_PIPELINE: PipelineDecl = {
  stages: [
    { name: 'filter', of13Table: 0 },
    { name: 'qos', of13Table: 1 },
    { name: 'forwarding', of13Table: 2 },
  ],
  bands: [
    // Table-miss entries (OpenFlow 1.3 only): priority 0 of every table.
    { app: 'core', role: 'miss', stage: 'filter', of13: [0, 0], of10: [0, 0], intent: true },
    { app: 'core', role: 'miss-qos', stage: 'qos', of13: [0, 0], of10: [0, 0], intent: true },
    { app: 'core', role: 'miss-forwarding', stage: 'forwarding', of13: [0, 0], of10: [0, 0], intent: true },
    // LLDP to the controller, ahead of every decision.
    {
      app: 'topology',
      role: 'lldp',
      stage: 'filter',
      of13: [0xfff0, 0xffff],
      of10: [0xfff0, 0xffff],
      intent: true,
    },
    // ACL rule n at high + 1 - n (rule ids 1..30000).
    {
      app: 'acl',
      role: 'rules',
      stage: 'filter',
      of13: [0x8900, 0xffef],
      of10: [0x8900, 0xffef],
      intent: true,
    },
    // Firewall: its deny rules (permanent) and the decisions it caches from packet-ins.
    {
      app: 'firewall',
      role: 'deny',
      stage: 'filter',
      of13: [0x8810, 0x88ff],
      of10: [0x8810, 0x88ff],
      intent: true,
    },
    // Drops for a deny verdict some other app set and forwarding cached.
    {
      app: 'forwarding',
      role: 'verdict',
      stage: 'filter',
      of13: [0x8801, 0x880f],
      of10: [0x8801, 0x880f],
      intent: false,
    },
    // QoS: its own table on 1.3 (policy priority as given); on 1.0 policy priority p at low + (p >> 5).
    {
      app: 'qos',
      role: 'policies',
      stage: 'qos',
      of13: [0x0001, 0xffff],
      of10: [0x8001, 0x8800],
      intent: true,
    },
    // Static entries default to the forwarding stage (Floodlight's default priority 32768 sits in it).
    {
      app: 'staticflows',
      role: 'entries',
      stage: 'forwarding',
      of13: [0x0100, 0xffff],
      of10: [0x0100, 0x8000],
      intent: true,
      userPlaced: true,
    },
    {
      app: 'forwarding',
      role: 'paths',
      stage: 'forwarding',
      of13: [0x0001, 0x00ff],
      of10: [0x0001, 0x00ff],
      intent: false,
    },
  ],
};

export class PipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineError';
  }
}

const rangeOf = (b: BandDecl, version: OfVersion): PriorityRange =>
  version === OFP_VERSION_1_0 ? b.of10 : b.of13;

const rangeText = ([lo, hi]: PriorityRange) => `${hex(lo)}..${hex(hi)}`;
const hex = (n: number) => `0x${n.toString(16)}`;

/** The declaration, queried by apps (where do my flows go) and by the controller (checks, table misses). */
export class Pipeline {
  private readonly stageIndex = new Map<string, number>();

  constructor(readonly decl: PipelineDecl) {
    decl.stages.forEach((s, i) => {
      if (this.stageIndex.has(s.name)) throw new PipelineError(`pipeline: stage '${s.name}' declared twice`);
      if (i > 0 && s.of13Table <= decl.stages[i - 1].of13Table) {
        throw new PipelineError(
          `pipeline: stage '${s.name}' must use a later table than '${decl.stages[i - 1].name}'`,
        );
      }
      this.stageIndex.set(s.name, i);
    });
    for (const b of decl.bands) {
      if (!this.stageIndex.has(b.stage)) {
        throw new PipelineError(`pipeline: band ${b.app}/${b.role} names unknown stage '${b.stage}'`);
      }
      for (const r of [b.of13, b.of10]) {
        if (!(
          Number.isInteger(r[0]) &&
          Number.isInteger(r[1]) &&
          0 <= r[0] &&
          r[0] <= r[1] &&
          r[1] <= 0xffff
        )) {
          throw new PipelineError(
            `pipeline: band ${b.app}/${b.role} has a bad priority range ${rangeText(r)}`,
          );
        }
      }
    }
  }

  bandsOf(app: string): BandDecl[] {
    return this.decl.bands.filter((b) => b.app === app);
  }

  /** Where `app`'s `role` flows go on `version`; throws PipelineError when the pipeline has no such band. */
  place(app: string, role: string, version: OfVersion): Place {
    const b = this.decl.bands.find((x) => x.app === app && x.role === role);
    if (!b) throw new PipelineError(`pipeline: no band '${role}' for app '${app}'`);
    const i = this.stageIndex.get(b.stage)!;
    const [low, high] = rangeOf(b, version);
    if (version === OFP_VERSION_1_0) return { tableId: 0, low, high };
    const next = this.decl.stages[i + 1]?.of13Table;
    return { tableId: this.decl.stages[i].of13Table, low, high, ...(next !== undefined ? { next } : {}) };
  }

  /**
   * Throws PipelineError when `app`'s bands overlap a band of one of the `others` on the same table of
   * either version (bands of user-placed apps excepted).
   */
  checkOverlap(app: string, others: readonly string[]): void {
    for (const a of this.bandsOf(app)) {
      if (a.userPlaced) continue;
      for (const other of others) {
        if (other === app) continue;
        for (const b of this.bandsOf(other)) {
          if (b.userPlaced) continue;
          for (const version of [OFP_VERSION_1_0, OFP_VERSION_1_3] as const) {
            const sameTable = version === OFP_VERSION_1_0 || a.stage === b.stage;
            const [al, ah] = rangeOf(a, version);
            const [bl, bh] = rangeOf(b, version);
            if (sameTable && al <= bh && bl <= ah) {
              throw new PipelineError(
                `pipeline: app '${app}' (${a.role} ${rangeText([al, ah])}) overlaps app '${other}' ` +
                  `(${b.role} ${rangeText([bl, bh])}) in ${version === OFP_VERSION_1_0 ? 'the OpenFlow 1.0 table' : `table ${this.stageTable(a.stage)}`}`,
              );
            }
          }
        }
      }
    }
  }

  /** Undefined when the flow lies inside one of `app`'s bands on `version`, else the reason. */
  refusal(app: string, flow: { tableId: number; priority: number }, version: OfVersion): string | undefined {
    const bands = this.bandsOf(app);
    if (bands.some((b) => b.userPlaced)) return undefined;
    for (const b of bands) {
      const p = this.place(app, b.role, version);
      if (flow.tableId === p.tableId && flow.priority >= p.low && flow.priority <= p.high) return undefined;
    }
    const where = bands.map((b) => {
      const p = this.place(app, b.role, version);
      return `${b.role}: table ${p.tableId} ${rangeText([p.low, p.high])}`;
    });
    return `table ${flow.tableId} priority ${flow.priority} is outside app '${app}''s bands (${where.join('; ') || 'none declared'})`;
  }

  /** Apps (of `registered`) whose flows are permanent intent, to re-push after a wipe. */
  intentApps(registered: readonly string[]): string[] {
    return registered.filter((n) => n !== 'core' && this.bandsOf(n).some((b) => b.intent));
  }

  /** OpenFlow 1.3 table-miss entries: each table goes on to the next, the last one to the controller. */
  missInstructions(stage: string): Instruction[] {
    const i = this.stageIndex.get(stage);
    if (i === undefined) throw new PipelineError(`pipeline: unknown stage '${stage}'`);
    const next = this.decl.stages[i + 1];
    return next
      ? [{ type: 'goto_table', tableId: next.of13Table }]
      : [
          {
            type: 'apply_actions',
            actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
          },
        ];
  }

  /** The OpenFlow 1.3 table-miss entries of every stage (the controller's own intent). */
  missFlows(): FlowSpec[] {
    return this.decl.stages.map((stage) => ({
      tableId: stage.of13Table,
      priority: 0,
      match: {},
      instructions: this.missInstructions(stage.name),
    }));
  }

  private stageTable(stage: string): number {
    return this.decl.stages[this.stageIndex.get(stage)!].of13Table;
  }
}

/** Rank `p` (0..0xffff, higher wins) inside a band: as given when the band is wide enough, else scaled. */
export function rankIn(place: Place, p: number): number {
  const width = place.high - place.low + 1;
  if (width >= 0x10000 - place.low) return Math.max(place.low, Math.min(place.high, p));
  return place.low + Math.floor((p * width) / 0x10000);
}

/** Sluice's pipeline, for code that runs without a controller (pure flow builders, tests). */
export const DEFAULT_PIPELINE = new Pipeline(SLUICE_PIPELINE);
