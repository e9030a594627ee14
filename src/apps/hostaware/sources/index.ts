/** Metric sources of host-aware networking (issue 10, item 1): shapes, pure parsers, source configs. */

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

// types.ts: the data every source yields.
export type { AlertEvent, HostInfo, MetricSample, SourceSnapshot } from './types.js';
