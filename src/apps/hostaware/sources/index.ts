/**
 * Metric sources of host-aware networking (issue 10, item 1): shapes, pure parsers, source configs. Each file
 * exports from its own block; keep the blocks sorted by file.
 */

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

// types.ts: the data every source yields.
export type { AlertEvent, HostInfo, MetricSample, SourceSnapshot } from './types.js';

// xml.ts: the strict reader of Ganglia's XML subset.
export { parseXml, type XmlElement, type XmlOptions } from './xml.js';
