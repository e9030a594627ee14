/**
 * The seam `sluice agent` calls (src/cli/main.ts). A stub until the agent daemon (agent.ts) lands: it then
 * replaces this export in index.ts with its own startAgent of the same signature.
 */
import type { AgentConfig } from './config.js';

export interface RunningAgent {
  /** Where the agent's REST API listens, e.g. http://127.0.0.1:6675. */
  apiUrl: string;
  /** Idempotent; resolves when everything is closed. */
  stop(): Promise<void>;
}

export function startAgent(config: AgentConfig): Promise<RunningAgent> {
  return Promise.reject(
    new Error(
      `sluice agent is not wired yet (host ${config.hostId}): startAgent lands with src/agent/agent.ts`,
    ),
  );
}
