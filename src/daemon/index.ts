export { startDaemon, coreApps, moduleInfos, type Daemon } from './daemon.js';
export {
  CONTROLLER_CONFIG_KEY,
  parseStoredControllerConfig,
  type DaemonConfig,
  type StoredControllerConfig,
  type TlsFiles,
} from './config.js';
export { createLogger, prettyLine, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';
export { hopsToPortPairs, hostsView, topologyView } from './views.js';
