/**
 * The dashboard's static files at /ui/ (built from web/ into dist/web by `make setup`). They carry no data, so
 * they need no token: their routes are marked public, and every API route stays behind the bearer check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from './errors.js';

/** dist/web next to the compiled API (dist/src/api/ui.js -> dist/web). */
export const DEFAULT_UI_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface UiOptions {
  /** The built dashboard (index.html and assets/); default DEFAULT_UI_ROOT. */
  root?: string;
}

/** Vite names what it builds under assets/ by content hash: such a file never changes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and unhashed files) must be revalidated, so a rebuild shows at the next load. */
export const REVALIDATE = 'no-cache';

export const NOT_BUILT =
  'The dashboard is not built: run `make setup` (it builds web/ into dist/web), then reload this page.\n';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the bearer token (the dashboard's static files). */
    public?: boolean;
  }
}

/**
 * A file under the dashboard's root for a path below /ui/, or undefined for a path that would leave it
 * (`..`, a NUL, an absolute path): those are refused, never resolved.
 */
export function uiFile(root: string, rel: string): string | undefined {
  if (rel.includes('\0') || rel.includes('\\')) return undefined;
  const parts = rel.split('/');
  if (parts.some((p) => p === '..' || p === '.')) return undefined;
  const full = path.resolve(root, rel);
  const base = path.resolve(root);
  return full === base || full.startsWith(base + path.sep) ? full : undefined;
}

const isFile = (p: string) => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

export async function uiRoutes(app: FastifyInstance, opts: UiOptions = {}): Promise<void> {
  const root = path.resolve(opts.root ?? DEFAULT_UI_ROOT);
  // serve: false: only reply.sendFile (with its range, ETag and content-type handling); routes are ours.
  await app.register(fastifyStatic, { serve: false, decorateReply: true });

  const config = { public: true };
  const schema = { hide: true };

  const send = (reply: FastifyReply, rel: string, cache: string) =>
    reply.header('cache-control', cache).sendFile(rel, root, { cacheControl: false });

  const serve = async (rel: string, reply: FastifyReply) => {
    // Checked at each request, so a `make setup` while the controller runs needs no restart.
    if (!isFile(path.join(root, 'index.html'))) {
      return reply
        .status(503)
        .header('cache-control', REVALIDATE)
        .type('text/plain; charset=utf-8')
        .send(NOT_BUILT);
    }
    const file = uiFile(root, rel);
    if (file === undefined) throw new HttpError(404, 'not_found', `no dashboard file /ui/${rel}`);
    if (rel.startsWith('assets/')) {
      // A hashed file that is missing is a stale page asking for an old build: 404, not index.html.
      if (!isFile(file)) throw new HttpError(404, 'not_found', `no dashboard file /ui/${rel}`);
      return send(reply, rel, IMMUTABLE);
    }
    // Deep links (/ui/switches) are the app's routes: it reads location.pathname from index.html.
    return send(reply, rel !== '' && isFile(file) ? rel : 'index.html', REVALIDATE);
  };

  // The router ignores trailing slashes, so /ui and /ui/ reach one route: the raw URL tells them apart, and
  // /ui must redirect for the page's relative asset URLs to resolve under /ui/.
  app.get('/ui', { config, schema }, async (req, reply) => {
    if (!req.url.split('?')[0].endsWith('/')) return reply.redirect('/ui/', 302);
    return serve('', reply);
  });
  app.get<{ Params: { '*': string } }>('/ui/*', { config, schema }, async (req, reply) =>
    serve(req.params['*'], reply),
  );
  app.get('/', { config, schema }, async (_req, reply) => reply.redirect('/ui/', 302));
}
