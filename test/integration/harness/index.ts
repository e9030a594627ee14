/** The integration-test harness: OVS, Mininet, controllers, processes, ports, polling, cleanup. */
export { waitFor, delay, WaitTimeoutError, type WaitOptions } from '../../support/wait.js';
export { freePort, freePorts, canConnect, waitForPort } from './ports.js';
export { run, runOk, type RunResult } from './exec.js';
export { rootInterfaces, namedNamespaces } from './links.js';
export {
  RUN_DIR,
  spawnManaged,
  liveProcesses,
  setSignalCleanup,
  onExitSync,
  isAlive,
  ManagedProcess,
  type SpawnOptions,
  type ExitStatus,
} from './procs.js';
export {
  ensureOvs,
  stopOvsIfStarted,
  stopOvs,
  vsctl,
  listBridges,
  ownedBridges,
  addTestBridge,
  deleteBridge,
  ofctl,
  dumpFlows,
  OWNER_KEY,
  type BridgeOptions,
} from './ovs.js';
export { cleanLeftovers, leftovers, NETNS_PREFIX, type Leftovers, type CleanReport } from './cleanup.js';
export {
  MininetNet,
  MininetError,
  MininetStallError,
  type MininetOptions,
  type Topo,
  type TopoSpec,
  type HostInfo,
  type SwitchInfo,
  type LinkInfo,
  type PingallResult,
  type PingResult,
  type ExecResult,
  type BackgroundProcess,
  type OpenFlowVersionName,
} from './mininet.js';
export {
  startController,
  waitForLinks,
  sluiceCommand,
  sluiceEtcdCommand,
  sluiceCli,
  sluiceCliJson,
  ovsTestControllerCommand,
  apiTlsFromPki,
  type ApiTls,
  type ControllerCommand,
  type ControllerLaunch,
  type RunningController,
  type StartControllerOptions,
} from './controller.js';
export { REPO_ROOT, SLUICE_CLI, SYSTEM_PYTHON } from './paths.js';
export {
  startHosts,
  simHostLeftovers,
  simHostProcesses,
  cleanSimHosts,
  SIM_PREFIX,
  HOSTS_DIR,
  UNDERLAY_BRIDGE,
  UNDERLAY_GATEWAY,
  DOCKER,
  DOCKERD,
  BUSYBOX_IMAGE,
  type StartHostsOptions,
  type SimHosts,
  type SimHost,
  type SimEtcd,
  type HostProcess,
  type HostExecOptions,
  type SimHostLeftovers,
} from './hosts.js';
export {
  startGmond,
  startGmetad,
  findMetric,
  gangliaProcesses,
  GMOND,
  GMETRIC,
  GMETAD,
  RRDTOOL,
  type DaemonControls,
  type GmondInstance,
  type GmetadInstance,
  type GmetricOptions,
  type StartGmondOptions,
  type StartGmetadOptions,
} from './ganglia.js';
export { startSimAgent, type SimAgent, type SimAgentOptions } from './agents.js';
export {
  ensureChromium,
  openBrowser,
  CHROMIUM,
  CHROMIUM_FLAGS,
  SCREENSHOT_DIR,
  DASHBOARD_INDEX,
  type BrowserSession,
} from './browser.js';
