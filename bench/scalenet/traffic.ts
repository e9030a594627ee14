/**
 * Synthetic, steady traffic for a scale net's port counters, so that the controller's statistics (port rates,
 * link utilisation) and the dashboard have numbers to show. Each direction of each port sends at a fixed rate
 * drawn from the port's identity; what leaves one end of a cable arrives at the other. Pure: counters are a
 * function of the port, its cabling and the seconds since the switch connected.
 */
import { zeroPortStats, type PortStatsEntry } from '../../src/openflow/index.js';
import type { PortRef } from './wiring.js';

/** 1 Gb/s ports (bytes/s); each direction runs at 0..20% of it. */
const LINE_RATE_BYTES = 125_000_000;
const MAX_SHARE = 0.2;
const BYTES_PER_PACKET = 800;

/** A stable number in [0, 1) from (dpid, port, salt): the same port always runs at the same rate. */
function unitHash(dpid: bigint, port: number, salt: number): number {
  let h = (Number(dpid & 0xffffffffn) ^ Math.imul(port, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Bytes per second leaving (dpid, port) onto its cable or towards its hosts. */
export function txRate(dpid: bigint, port: number): number {
  return Math.floor(unitHash(dpid, port, 1) * MAX_SHARE * LINE_RATE_BYTES);
}

/** Bytes per second arriving at a host port from its hosts (a cabled port receives its peer's txRate). */
function hostRxRate(dpid: bigint, port: number): number {
  return Math.floor(unitHash(dpid, port, 2) * MAX_SHARE * LINE_RATE_BYTES);
}

/** The counters of (dpid, port) after `seconds` of traffic; `peer` is the cabled far end, if any. */
export function portCounters(
  dpid: bigint,
  port: number,
  peer: PortRef | undefined,
  seconds: number,
): PortStatsEntry {
  const s = Math.max(0, seconds);
  const tx = Math.floor(txRate(dpid, port) * s);
  const rx = Math.floor((peer ? txRate(peer.dpid, peer.port) : hostRxRate(dpid, port)) * s);
  const whole = Math.floor(s);
  return {
    ...zeroPortStats(port),
    rxPackets: BigInt(Math.floor(rx / BYTES_PER_PACKET)),
    txPackets: BigInt(Math.floor(tx / BYTES_PER_PACKET)),
    rxBytes: BigInt(rx),
    txBytes: BigInt(tx),
    durationSec: whole,
    durationNsec: Math.floor((s - whole) * 1e9),
  };
}
