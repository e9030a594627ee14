/** A CliIo that records what the CLI prints and which daemons it would start (none are started). */
import type { AgentConfig } from '../../src/agent/index.js';
import type { CliIo } from '../../src/cli/run.js';
import type { DaemonConfig } from '../../src/daemon/index.js';

export function recordingIo(env: Record<string, string> = {}, extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const configs: DaemonConfig[] = [];
  const agents: AgentConfig[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    now: () => 0,
    stderrIsTty: false,
    runController: async (c) => {
      configs.push(c);
    },
    runAgent: async (c) => {
      agents.push(c);
    },
    ...extra,
  };
  return { cli, out: () => out.join(''), err: () => err.join(''), configs, agents };
}
