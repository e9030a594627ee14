/**
 * Port rates from two successive port-stats samples, as Floodlight's statistics module computes bandwidth:
 * the counter difference over the time between the samples. Pure: every value comes from the caller.
 */
import type { PortStatsEntry } from '../../openflow/index.js';

/** One port's counters as sampled, with the controller-clock time of the reply (ms). */
export interface PortSample {
  atMs: number;
  counters: PortStatsEntry;
}

export interface PortRates {
  rxBitsPerSec: number;
  txBitsPerSec: number;
  rxPacketsPerSec: number;
  txPacketsPerSec: number;
  /** rx+tx dropped and errors per second. */
  droppedPerSec: number;
  errorsPerSec: number;
}

/** Samples closer than this are too noisy to divide by (a reply that raced the previous one). */
export const MIN_RATE_INTERVAL_MS = 100;

function perSec(prev: bigint, cur: bigint, seconds: number): number | undefined {
  // A counter that went down was reset (port re-added, switch restarted): no rate until the next sample.
  if (cur < prev) return undefined;
  return Number(cur - prev) / seconds;
}

/**
 * Rates between `prev` and `cur`, or undefined when they cannot be trusted: the interval is too short or
 * negative, or a counter went backwards.
 */
export function portRates(prev: PortSample, cur: PortSample): PortRates | undefined {
  const ms = cur.atMs - prev.atMs;
  if (!Number.isFinite(ms) || ms < MIN_RATE_INTERVAL_MS) return undefined;
  const s = ms / 1000;
  const a = prev.counters;
  const b = cur.counters;
  const rxBytes = perSec(a.rxBytes, b.rxBytes, s);
  const txBytes = perSec(a.txBytes, b.txBytes, s);
  const rxPackets = perSec(a.rxPackets, b.rxPackets, s);
  const txPackets = perSec(a.txPackets, b.txPackets, s);
  const dropped = perSec(a.rxDropped + a.txDropped, b.rxDropped + b.txDropped, s);
  const errors = perSec(a.rxErrors + a.txErrors, b.rxErrors + b.txErrors, s);
  if (
    rxBytes === undefined ||
    txBytes === undefined ||
    rxPackets === undefined ||
    txPackets === undefined ||
    dropped === undefined ||
    errors === undefined
  ) {
    return undefined;
  }
  return {
    rxBitsPerSec: rxBytes * 8,
    txBitsPerSec: txBytes * 8,
    rxPacketsPerSec: rxPackets,
    txPacketsPerSec: txPackets,
    droppedPerSec: dropped,
    errorsPerSec: errors,
  };
}

/**
 * Share of the link's speed in use by the busier direction (0..1, may exceed 1 when the switch reports a
 * nominal speed below the real one, as OVS's internal ports do); undefined when the speed is unknown (0).
 */
export function utilisation(rates: PortRates, speedKbps: number): number | undefined {
  if (!(speedKbps > 0)) return undefined;
  return Math.max(rates.rxBitsPerSec, rates.txBitsPerSec) / (speedKbps * 1000);
}
