/** Metric sources of host-aware networking (issue 10, item 1): shapes, pure parsers, source configs. */

// errors.ts: what a parser throws on garbage.
export { DEFAULT_MAX_BYTES, ParseError, type SourceFormat } from './errors.js';

// types.ts: the data every source yields.
export type { AlertEvent, HostInfo, MetricSample, SourceSnapshot } from './types.js';
