/** Where apps' reactive messages go: one type shared by every app that sends outside the reconciler. */
import type { OfMessageBody, SwitchSession } from './app.js';

/** A message for one switch, as an app decided it (what unit tests capture instead of sending). */
export interface Outgoing {
  dpid: bigint;
  readonly msg: OfMessageBody;
  /** The message already encoded for the switch's version (a precompiled template); sent instead of `msg`. */
  readonly frame?: Buffer;
}

export type Sink = (out: Outgoing) => void;

/** The sink that sends to the switch if it is connected (dropped otherwise, as a closed session drops it). */
export function switchSink(switches: () => ReadonlyMap<bigint, SwitchSession> | undefined): Sink {
  return (o) => {
    const sw = switches()?.get(o.dpid);
    if (sw === undefined) return;
    if (o.frame !== undefined) sw.sendFrame(o.frame);
    else sw.send(o.msg);
  };
}
