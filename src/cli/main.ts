#!/usr/bin/env node
import { startDaemon, type DaemonConfig } from '../daemon/index.js';
import { runCli } from './run.js';

/** Runs the daemon until SIGINT/SIGTERM, then shuts it down; a second signal exits at once. */
async function runController(config: DaemonConfig): Promise<void> {
  const daemon = await startDaemon(config);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      daemon.log.info({ signal }, 'stopping');
      process.once(signal, () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await daemon.stop();
}

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  now: Date.now,
  stderrIsTty: Boolean(process.stderr.isTTY),
  runController,
});
process.exitCode = code;
