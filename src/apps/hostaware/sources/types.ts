/**
 * The shapes every metric source produces (issue 10, item 1): gmond/gmetad XML, rrdtool fetch output,
 * Prometheus text and query JSON, Alertmanager webhooks all come out as a SourceSnapshot, so the poller, the
 * host list and the rule engine need not know which system a value came from. Data only: no methods, no I/O,
 * so the parsers stay pure and a snapshot can be stored or sent as JSON as is.
 */

/** One value of one metric on one host, as the source reported it. */
export interface MetricSample {
  /** The host name as the source knows it (gmond's HOST NAME, Prometheus' instance without the port). */
  host: string;
  ip?: string;
  cluster?: string;
  /** The metric name (`load_one`, `bytes_out`, `node_load1`); Prometheus samples keep their labels beside it. */
  name: string;
  /** NaN is kept (Prometheus NaN, rrdtool nan): consumers skip it rather than read it as 0. */
  value: number;
  units?: string;
  /** When the source says the value was taken (ms since the epoch): gmond's REPORTED - TN, a sample timestamp. */
  at: number;
  /** gmond: seconds between reports the sender promised (TMAX). */
  tmax?: number;
  /** gmond: seconds since the value was last reported (TN). */
  tn?: number;
  /** gmond's own staleness test (TN > 4 * TMAX, as gmetad and the web front end apply it). */
  stale?: boolean;
  /** Prometheus labels other than `__name__` (the host label included). */
  labels?: Record<string, string>;
}

/** A host a source knows about, whether or not it reported numeric metrics. */
export interface HostInfo {
  name: string;
  ip?: string;
  cluster?: string;
  domain?: string;
  /** The configured name of the source that reported the host. */
  source: string;
  /** When the source last heard from the host (ms since the epoch). */
  reported: number;
  /** Non-numeric metrics (gmond string metrics such as os_name, machine_type), kept as facts. */
  facts?: Record<string, string>;
}

/** What one poll (or one push) of one source yielded. */
export interface SourceSnapshot {
  source: string;
  hosts: HostInfo[];
  samples: MetricSample[];
}

/** An Alertmanager alert turned into a condition: firing counts as met, resolved as cleared. */
export interface AlertEvent {
  source: string;
  host: string;
  alert: string;
  status: 'firing' | 'resolved';
  /** ms since the epoch: startsAt when firing, endsAt when resolved. */
  at: number;
  fingerprint?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
