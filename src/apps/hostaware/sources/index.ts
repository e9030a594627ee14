/**
 * Metric sources of host-aware networking (issue 10, item 1): shapes, pure parsers, source configs. Each file
 * exports from its own block; keep the blocks sorted by file.
 */

// alertmanager.ts: the webhook receiver's payload (version 4) as alert events.
export { parseAlertmanagerWebhook, type AlertBatch, type AlertmanagerOptions } from './alertmanager.js';

// config.ts: source config validation.
export {
  GMETAD_QUERY_PORT,
  GMETAD_XML_PORT,
  GMOND_PORT,
  SOURCE_TYPES,
  parseHostPort,
  parseSourceConfig,
  type HostPort,
  type SourceConfig,
  type SourceType,
} from './config.js';

// errors.ts: what a parser throws on garbage.
export { DEFAULT_MAX_BYTES, ParseError, type SourceFormat } from './errors.js';

// fetch.ts: the I/O edges of the Ganglia sources (gmond/gmetad TCP, rrdtool fetch) and their error codes.
export {
  fetchGmondXml,
  queryGmetad,
  rrdFetch,
  SourceFetchError,
  type RrdCf,
  type RrdFetchOptions,
  type SourceErrorCode,
  type XmlFetchOptions,
} from './fetch.js';

// ganglia.ts: gmond/gmetad XML.
export { parseGangliaXml, type GangliaOptions } from './ganglia.js';

// poll.ts: one poll of one configured source, fetched and parsed.
export { describeSource, pollSource } from './poll.js';

// prometheus.ts: text exposition format, query API JSON, host mapping.
export {
  PROM_TYPES,
  parsePromQuery,
  parsePromText,
  parsePromValue,
  promToSnapshot,
  stripPort,
  type PromFamily,
  type PromMapOptions,
  type PromSample,
  type PromText,
  type PromType,
} from './prometheus.js';

// rrd.ts: rrdtool fetch output and window aggregation.
export {
  CONSOLIDATIONS,
  aggregateWindow,
  parseRrdFetch,
  rrdPathParts,
  rrdToSamples,
  type Consolidation,
  type RrdFetch,
  type RrdSampleOptions,
} from './rrd.js';

// types.ts: the data every source yields.
export type { AlertEvent, HostInfo, MetricSample, SourceSnapshot } from './types.js';

// xml.ts: the strict reader of Ganglia's XML subset.
export { parseXml, type XmlElement, type XmlOptions } from './xml.js';
