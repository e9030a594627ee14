/** Provisioning nodes from their descriptions: idempotent steps run on this machine or over SSH. */
export {
  shellQuote,
  shellLine,
  CommandError,
  type Command,
  type CommandResult,
  type Executor,
} from './command.js';
export { parseGetSsl, parseOvsMap, parseOvsString, parseTargets } from './ovs.js';
export {
  STEPS,
  StepRefused,
  settingsOf,
  registrationOf,
  certificateProblem,
  plannedManagers,
  DEFAULT_OVSDB,
  DEFAULT_PKI_DIR,
  DEFAULT_PORTS,
  type ControlPlane,
  type StepContext,
  type Step,
  type Change,
  type NodeSettings,
} from './steps.js';
export {
  provisionNode,
  ProvisionError,
  type ProvisionResult,
  type StepReport,
  type StepStatus,
  type ProgressEvent,
  type RunOptions,
} from './runner.js';
export { localExecutor, spawnCollect } from './local.js';
export { sshExecutor, SshError, DEFAULT_KNOWN_HOSTS, type SshOptions, type SshExecutor } from './ssh.js';
export {
  parseKnownHosts,
  checkHostKey,
  fingerprintOf,
  knownHostsLine,
  type KnownHostEntry,
  type HostKeyVerdict,
} from './knownhosts.js';
