#!/usr/bin/env node
// The daemons (controller, agent) are imported when one is started: a CLI verb such as `sluice run` then
// loads only commander and the client, which keeps its start short (it is part of `sluice run`'s latency).
import type { AgentConfig } from '../agent/index.js';
import type { DaemonConfig } from '../daemon/index.js';
import type { ProxyDaemonConfig } from '../proxy/daemon.js';
import { readAllStdin, terminalSecret } from './prompt.js';
import { runCli } from './run.js';

/** Resolves at the first SIGINT/SIGTERM; a second signal exits at once. */
function stopSignal(onSignal: (signal: NodeJS.Signals) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      onSignal(signal);
      process.once(signal, () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}

/** Runs the daemon until SIGINT/SIGTERM, then shuts it down. */
async function runController(config: DaemonConfig): Promise<void> {
  const { startDaemon } = await import('../daemon/index.js');
  const daemon = await startDaemon(config);
  await stopSignal((signal) => daemon.log.info({ signal }, 'stopping'));
  await daemon.stop();
}

/** Runs the agent until SIGINT/SIGTERM, then shuts it down (the agent logs its own stop). */
async function runAgent(config: AgentConfig): Promise<void> {
  const { startAgent } = await import('../agent/index.js');
  const agent = await startAgent(config);
  await stopSignal(() => undefined);
  await agent.stop();
}

/** Runs the Docker API proxy until SIGINT/SIGTERM, then stops it. */
async function runProxy(config: ProxyDaemonConfig): Promise<void> {
  const { startProxyDaemon } = await import('../proxy/daemon.js');
  const { adapterSource } = await import('../proxy/adapters.js');
  const proxy = await startProxyDaemon(config, adapterSource);
  await stopSignal((signal) => proxy.log.info({ signal }, 'stopping'));
  await proxy.stop();
}

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  now: Date.now,
  stderrIsTty: Boolean(process.stderr.isTTY),
  runController,
  runAgent,
  runProxy,
  readStdin: readAllStdin,
  askSecret: process.stdin.isTTY ? terminalSecret : undefined,
});
process.exitCode = code;
