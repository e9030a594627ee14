/**
 * Rates of a transport node's interface from two of its OVSDB statistics samples (pure). The node reports
 * counters every few seconds (`sampled`), not at each poll: a rate is taken between two reports, and a poll
 * that finds the same report keeps the rate it had.
 */

export interface IfaceSample {
  /** When the node reported the counters (ISO time). */
  sampled: string;
  statistics: Record<string, number>;
}

export interface IfaceRates {
  /** Bits per second; undefined until two reports were seen. */
  rxBps?: number;
  txBps?: number;
  rxPps?: number;
  txPps?: number;
}

/** The counters' rates per second from `prev` to `next` (undefined where a counter is missing or went back). */
export function ratesBetween(prev: IfaceSample, next: IfaceSample): IfaceRates {
  const sec = (Date.parse(next.sampled) - Date.parse(prev.sampled)) / 1000;
  if (!(sec > 0)) return {};
  const per = (key: string, scale = 1) => {
    const a = prev.statistics[key];
    const b = next.statistics[key];
    // A counter that went back (the interface was re-created) has no rate for this step.
    return a === undefined || b === undefined || b < a ? undefined : ((b - a) * scale) / sec;
  };
  return {
    rxBps: per('rx_bytes', 8),
    txBps: per('tx_bytes', 8),
    rxPps: per('rx_packets'),
    txPps: per('tx_packets'),
  };
}

export interface IfaceTrack {
  sample: IfaceSample;
  rates: IfaceRates;
}

/** The next track of an interface: a new report makes new rates; the same report keeps the last ones. */
export function nextTrack(prev: IfaceTrack | undefined, sample: IfaceSample): IfaceTrack {
  if (!prev) return { sample, rates: {} };
  if (prev.sample.sampled === sample.sampled) return { sample, rates: prev.rates };
  return { sample, rates: ratesBetween(prev.sample, sample) };
}
