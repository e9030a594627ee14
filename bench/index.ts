/**
 * Public surface of the bench folder. A new benchmark is a BenchSection appended to SECTIONS in run.ts;
 * it starts controllers with withController (free ports, readiness, guaranteed stop) and reports through
 * BenchContext (markdown for BENCHMARKS.md, targets, failures).
 */
export {
  connectFleet,
  Fleet,
  LatencyRecorder,
  loopStats,
  percentile,
  runModeLoops,
  runPaced,
  type FleetOptions,
  type ModeResult,
  type PacedResult,
} from './cbench.js';
export { FakeSwitch, type DriveMode } from './cbench/fakeswitch.js';
export { answeredId, buildPacketIn, buildSwitchPacketIns, classifyReply } from './cbench/frames.js';
export { ALL_CONTROLLERS, type ControllerSpec, type LaunchContext } from './controllers.js';
export { cpuSeconds, freePort, readRss, startProcess, stopAll, stopProcess, waitForPort } from './harness.js';
export { runMemory, type MemoryResult } from './memory.js';
export { hotSpots, formatHotSpots } from './profile.js';
export { SECTIONS, withController, type BenchContext, type BenchSection, type Target } from './run.js';
export { startScaleNet, ScaleNet, type ScaleNetOptions, type ScaleNetProgress } from './scalenet.js';
export { NetSwitch } from './scalenet/switch.js';
export {
  placeHosts,
  peerTable,
  SHAPES,
  wiring,
  type HostSpec,
  type Shape,
  type WireLink,
  type Wiring,
} from './scalenet/wiring.js';
