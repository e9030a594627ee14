/**
 * The HTTP server: Floodlight-compatible paths, Sluice's /api/v1, /metrics and /openapi.json.
 *
 * Compatibility choices (existing Floodlight clients depend on them): a body is JSON whatever its
 * Content-Type (curl-based scripts send application/x-www-form-urlencoded), also on DELETE; absolute-form
 * request targets route like origin-form ones; a trailing slash is optional (`/wm/device/`).
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import swagger from '@fastify/swagger';
import type { IncomingMessage } from 'node:http';
import { PUBLIC_PATHS, bearerMatches } from './auth.js';
import { makeContext, type ApiDeps, type RouteArea } from './context.js';
import {
  HttpError,
  INTERNAL_DETAIL,
  ajvErrorToHttpError,
  codedErrorToHttp,
  jsonErrorPosition,
  type AjvErrorLike,
} from './errors.js';
import { coreRoutes } from './routes/core.js';
import { deviceRoutes } from './routes/devices.js';
import { metricsRoutes } from './routes/metrics.js';
import { statsRoutes } from './routes/stats.js';
import { topologyRoutes } from './routes/topology.js';
import { v1Routes } from './routes/v1.js';
import { uiRoutes, type UiOptions } from './ui.js';

export interface ApiServerOptions extends ApiDeps {
  auth?: {
    /** When set, every request but PUBLIC_PATHS must carry `Authorization: Bearer <token>`. */
    token?: string;
  };
  /** Bytes; default 1 MiB. */
  bodyLimit?: number;
  /** A pino logger (the daemon's), or false for none. */
  logger?: FastifyBaseLogger | false;
  /** HTTPS options (cert, key, ca, requestCert...) when the API is served over TLS. */
  https?: {
    cert: Buffer | string;
    key: Buffer | string;
    ca?: Buffer | string;
    requestCert?: boolean;
    rejectUnauthorized?: boolean;
  };
  /** Route areas added after the built-in ones (app routes: staticflows, firewall, qos...). */
  routes?: RouteArea[];
  /**
   * false: routes' response schemas are dropped (neither serialized with nor documented), so replies are
   * JSON.stringify of what handlers return; tests compare both. Default true.
   */
  responseSchemas?: boolean;
  /** Serve the dashboard's static files at /ui/ (and redirect / there); the daemon turns this on. */
  ui?: UiOptions;
}

/** The built-in areas, in registration order. */
export const BUILTIN_ROUTE_AREAS: readonly RouteArea[] = [
  coreRoutes,
  statsRoutes,
  topologyRoutes,
  deviceRoutes,
  v1Routes,
  metricsRoutes,
];

const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** `GET http://host:8080/wm/core/... HTTP/1.1` -> `/wm/core/...`. */
export function originFormUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    // V8 reports no position for a truncated document: it ended where the text ended.
    const pos = jsonErrorPosition(msg) ?? (/end of JSON input/.test(msg) ? text.length : undefined);
    throw new HttpError(
      400,
      'bad_json',
      pos === undefined ? `malformed JSON: ${msg}` : `malformed JSON at position ${pos}: ${msg}`,
      'body',
    );
  }
}

/** `internalDetail`: the text of a 500, which names the log that has the cause. */
export function toHttpError(err: FastifyError | Error, internalDetail = INTERNAL_DETAIL): HttpError {
  if (err instanceof HttpError) return err;
  const fe = err as FastifyError & { validation?: AjvErrorLike[]; validationContext?: string };
  if (fe.validation) return ajvErrorToHttpError(fe.validation, fe.validationContext);
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new HttpError(413, 'payload_too_large', 'request body is larger than the limit', 'body');
  }
  const coded = codedErrorToHttp(err);
  if (coded) return coded;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpError(fe.statusCode, 'bad_request', fe.message);
  }
  return new HttpError(500, 'internal', internalDetail);
}

/** What every Sluice HTTP server shares (the controller's and the agent's). */
export type BaseServerOptions = Pick<
  ApiServerOptions,
  'auth' | 'bodyLimit' | 'logger' | 'https' | 'responseSchemas' | 'version'
> & {
  /** The OpenAPI document's title and description. */
  title: string;
  description: string;
  /** Paths reachable without the token (health checks); default PUBLIC_PATHS. */
  publicPaths?: ReadonlySet<string>;
  /** The detail of a 500 (where its cause is logged); default INTERNAL_DETAIL (the controller's log). */
  internalDetail?: string;
};

/**
 * A Fastify instance with Sluice's conventions: JSON bodies whatever the Content-Type, the bearer check, the
 * one error shape, and the OpenAPI document at /openapi.json. Routes are added by the caller.
 */
export async function createBaseServer(opts: BaseServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    // Per-request lines would drown the controller's log; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    rewriteUrl: (req: IncomingMessage) => originFormUrl(req.url ?? '/'),
    routerOptions: { ignoreTrailingSlash: true },
    // Extra keys are rejected (not silently dropped) so a typo in a field name is an error, not a no-op.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  const token = opts.auth?.token;
  const publicPaths = opts.publicPaths ?? PUBLIC_PATHS;
  if (token) {
    app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0];
      // Routes that declare themselves public (the dashboard's static files) carry no API data.
      if (publicPaths.has(path) || req.routeOptions.config.public === true) return;
      if (!bearerMatches(req.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer realm="sluice"');
        throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token (Authorization: Bearer ...)');
      }
    });
  }

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const http = toHttpError(err, opts.internalDetail);
    if (http.status >= 500) req.log.error({ err }, 'request failed');
    void reply.status(http.status).send(http.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send(new HttpError(404, 'not_found', `no route for ${req.method} ${req.url.split('?')[0]}`).toBody());
  });

  if (opts.responseSchemas === false) {
    // Added before swagger's own onRoute hook, so the OpenAPI document sees the routes without them too.
    app.addHook('onRoute', (route) => {
      if (route.schema?.response === undefined) return;
      const { response: _dropped, ...schema } = route.schema;
      route.schema = schema;
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: opts.title,
        version: opts.version,
        description: opts.description,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: token ? [{ bearer: [] }] : [],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const app = await createBaseServer({
    ...opts,
    title: 'Sluice API',
    description: 'Floodlight 1.2-compatible paths (/wm/...) and Sluice paths (/api/v1/...).',
  });
  const ctx = makeContext(opts);
  for (const area of [...BUILTIN_ROUTE_AREAS, ...(opts.routes ?? [])]) area(app, ctx);
  if (opts.ui) await uiRoutes(app, opts.ui);
  return app;
}
