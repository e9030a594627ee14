/**
 * The adapters served inside the proxy (`builtin:NAME`), made from the daemon's config: `network` asks the
 * local Sluice agent (its API: --agent, --agent-token) to make networks and their Docker networks.
 */
import { AgentClient } from '../client/node.js';
import { networkAdapter } from './network.js';
import type { AdapterHandler } from './types.js';

export interface BuiltinsConfig {
  agent: { url: string; token?: string };
}

export function builtinAdapters(c: BuiltinsConfig): Map<string, AdapterHandler> {
  const agent = new AgentClient({ baseUrl: c.agent.url, ...(c.agent.token ? { token: c.agent.token } : {}) });
  return new Map<string, AdapterHandler>([['network', networkAdapter(agent)]]);
}
