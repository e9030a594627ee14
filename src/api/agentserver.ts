/**
 * The agent's HTTP server: /api/v1 container networks, Socketplane's /v0.1 and /openapi.json, with the
 * controller's conventions (error shape, bearer token, JSON bodies). Not listening yet: the agent listens
 * on 127.0.0.1:6675 by default, and checkListenSecurity refuses a wider address without a token.
 */
import type { FastifyInstance } from 'fastify';
import type { AgentOps } from '../agent/types.js';
import { checkListenSecurity } from './auth.js';
import { AGENT_INTERNAL_DETAIL } from './errors.js';
import { listenApi } from './listen.js';
import { agentRoutes } from './routes/agent.js';
import { socketplaneRoutes } from './routes/socketplane.js';
import { createBaseServer, type ApiServerOptions } from './server.js';

export interface AgentApiServerOptions extends Pick<
  ApiServerOptions,
  'auth' | 'bodyLimit' | 'logger' | 'https' | 'responseSchemas'
> {
  ops: AgentOps;
  /** Sluice's version string. */
  version: string;
}

/** Reachable without the token, like the controller's health check. */
export const AGENT_PUBLIC_PATHS: ReadonlySet<string> = new Set(['/api/v1/health']);

export async function createAgentApiServer(opts: AgentApiServerOptions): Promise<FastifyInstance> {
  const app = await createBaseServer({
    ...opts,
    title: 'Sluice agent API',
    description:
      'Container networks of this host and its peers (/api/v1/...) and Socketplane’s REST (/v0.1/...).',
    publicPaths: AGENT_PUBLIC_PATHS,
    internalDetail: AGENT_INTERNAL_DETAIL,
  });
  agentRoutes(opts.ops, opts.version)(app);
  socketplaneRoutes(opts.ops)(app);
  return app;
}

/** The agent's API, listening: refuses a non-loopback address without a token, names the flag on failure. */
export async function serveAgentApi(
  opts: AgentApiServerOptions & { listen: string; port: number },
): Promise<{ app: FastifyInstance; url: string; close: () => Promise<void> }> {
  checkListenSecurity({ host: opts.listen, token: opts.auth?.token });
  const app = await createAgentApiServer(opts);
  try {
    const url = await listenApi(
      app,
      { listen: opts.listen, port: opts.port, https: Boolean(opts.https) },
      'another agent?',
    );
    return { app, url, close: () => app.close() };
  } catch (err) {
    await app.close();
    throw err;
  }
}
