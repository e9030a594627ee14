/**
 * Example adapter: refuses pulls of, and containers from, images of a registry not on a list.
 *
 *   node dist/examples/adapters/registry-allowlist.js --listen unix:///run/sluice/allowlist.sock \
 *     --allow docker.io,ghcr.io
 *
 * adapters.yml:
 *   version: 1
 *   endpoints:
 *     "POST /images/create":        # docker pull (and the pull of docker run)
 *       pre: [registry-allowlist]
 *     "POST /containers/create":    # docker create / run, for images already here
 *       pre: [registry-allowlist]
 *   adapters:
 *     registry-allowlist: unix:///run/sluice/allowlist.sock
 *
 * How it refuses: PowerstripProtocolVersion 1 gives a pre-hook no way to answer the client itself, and a
 * post-hook comes too late (the pull or the create has happened). So the pre-hook refuses: `refuse()` answers
 * the hook with 403 and Docker's error shape, the proxy stops there (dockerd never sees the request) and the
 * client gets 403 with the reason:
 *
 *   Error response from daemon: sluice proxy: adapter "registry-allowlist" refused the request:
 *   image "evil.example.com/x:1" is from registry evil.example.com, which is not allowed (allowed: docker.io)
 *
 * Not covered: `docker build` (FROM lines are in the tar context, which pre-hooks do not get) and image
 * imports (`docker import`, `docker load`: no registry involved).
 */
import { pathToFileURL } from 'node:url';
import type { ClientRequest } from '../../src/proxy/protocol.js';
import { createAdapter, jsonBody, refuse, route, runAdapter, type Adapter } from '../../src/proxy/sdk.js';

/** Docker Hub's other names: references and configurations use them interchangeably. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * The registry an image reference names, with Docker's rule: the first path component is a registry when it
 * has a `.` or a `:` or is `localhost` (`ghcr.io/a/b`, `host:5000/x`); otherwise the image is on Docker Hub
 * (`busybox`, `library/busybox`). Undefined for an image ID (`sha256:...`), which names a local image.
 */
export function registryOf(image: string): string | undefined {
  if (/^sha256:[0-9a-f]{64}$/.test(image) || /^[0-9a-f]{64}$/.test(image)) return undefined;
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const registry =
    first.includes('.') || first.includes(':') || first === 'localhost' ? first.toLowerCase() : '';
  return registry === '' || DOCKER_HUB.has(registry) ? 'docker.io' : registry;
}

/** The image a request would pull or run, if it is one this adapter judges. */
export function imageOf(req: ClientRequest): string | undefined {
  const { method, path, query } = route(req);
  if (method !== 'POST') return undefined;
  if (path === '/images/create') {
    // fromSrc is an import (no registry); fromImage is a pull, its tag may come apart.
    const from = query.get('fromImage');
    if (!from) return undefined;
    const tag = query.get('tag');
    return tag ? `${from}${tag.startsWith('sha256:') ? '@' : ':'}${tag}` : from;
  }
  if (path === '/containers/create') {
    const image = jsonBody(req)?.Image;
    return typeof image === 'string' && image !== '' ? image : undefined;
  }
  return undefined;
}

export function registryAllowlist(allowed: string[]): Adapter {
  const list = allowed.map((r) => (DOCKER_HUB.has(r.toLowerCase()) ? 'docker.io' : r.toLowerCase()));
  return createAdapter({
    pre: (req) => {
      const image = imageOf(req);
      const registry = image === undefined ? undefined : registryOf(image);
      if (registry !== undefined && !list.includes(registry)) {
        refuse(
          `image ${JSON.stringify(image)} is from registry ${registry}, which is not allowed (allowed: ${list.join(', ')})`,
        );
      }
      return req;
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const allowed = argv.flatMap((a, i) => (argv[i - 1] === '--allow' ? a.split(',') : [])).filter(Boolean);
  try {
    await runAdapter(registryAllowlist(allowed.length > 0 ? allowed : ['docker.io']), {
      argv,
      name: 'registry-allowlist adapter',
    });
  } catch (err) {
    console.error(`registry-allowlist adapter: ${(err as Error).message}`);
    process.exit(1);
  }
}
