/**
 * The overlay app: the agent's embedded controller runs it (with AGENT_PIPELINE) to program the host bridge
 * from what the agent knows (a BridgeView). The flows are a pure function of the view (flows.ts); setView
 * swaps the view and resolves once the bridge has them.
 */
import {
  appCookie,
  type App,
  type AppContext,
  type FlowSpec,
  type SwitchReconcile,
  type SwitchSession,
} from '../controller/index.js';
import { EMPTY_VIEW, overlayFlows, validateView, type BridgeView } from './flows.js';
import { OVERLAY_APP } from './pipeline.js';

export const OVERLAY_APP_ID = 0x20;

export interface OverlayOptions {
  /** Only this datapath gets the flows (the agent's bridge); default: every switch that connects. */
  dpid?: bigint;
  view?: BridgeView;
}

export class OverlayApp implements App {
  readonly name = OVERLAY_APP;
  readonly cookie = appCookie(OVERLAY_APP_ID);
  private ctx: AppContext | undefined;
  private current: BridgeView;
  private flows: FlowSpec[];
  private readonly dpid: bigint | undefined;

  constructor(opts: OverlayOptions = {}) {
    this.dpid = opts.dpid;
    this.current = validateView(opts.view ?? EMPTY_VIEW);
    this.flows = overlayFlows(this.current);
  }

  start(ctx: AppContext): void {
    this.ctx = ctx;
  }

  get view(): BridgeView {
    return this.current;
  }

  desiredFlows(sw: SwitchSession): FlowSpec[] {
    return this.dpid === undefined || sw.dpid === this.dpid ? this.flows : [];
  }

  /**
   * Replaces the view (FieldError naming the entry at fault leaves the old one in place) and reconciles:
   * resolves with the run on each connected switch once it has answered (empty: none is connected yet; the
   * bridge gets the flows when it connects).
   */
  async setView(view: BridgeView): Promise<SwitchReconcile[]> {
    const checked = validateView(view);
    const flows = overlayFlows(checked);
    this.current = checked;
    this.flows = flows;
    if (!this.ctx) return [];
    return this.ctx.reconcile({ app: this.name, ...(this.dpid === undefined ? {} : { dpid: this.dpid }) });
  }
}
