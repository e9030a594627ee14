export { ClusterViewsApp, CLUSTERVIEWS_APP_ID, type ClusterViewsOptions } from './app.js';
export {
  hostRecord,
  hostRecordKey,
  linkId,
  linkRecord,
  linkRecordKey,
  parseRuntimeEntry,
  runtimeKeyKind,
  type HostRecord,
  type LinkRecord,
  type RuntimeEntry,
  type RuntimeKind,
} from './records.js';
