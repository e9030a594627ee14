/**
 * Example adapter: puts a label (`sluice.example=labelled` unless told) on every container created through
 * `sluice proxy`, by editing the create request's Labels in a pre-hook. Labels the client set are kept.
 *
 *   node dist/examples/adapters/label.js --listen unix:///run/sluice/label.sock [--label key=value]
 *
 * adapters.yml:
 *   version: 1
 *   endpoints:
 *     "POST /containers/create":        # matches /v1.41/containers/create too
 *       pre: [label]
 *   adapters:
 *     label: unix:///run/sluice/label.sock
 *
 * Then `docker inspect -f '{{.Config.Labels}}' <container>` shows the label.
 */
import { pathToFileURL } from 'node:url';
import {
  createAdapter,
  jsonBody,
  route,
  runAdapter,
  withJsonBody,
  type Adapter,
} from '../../src/proxy/sdk.js';

export const DEFAULT_LABEL = { key: 'sluice.example', value: 'labelled' };

export function labelAdapter(label: { key: string; value: string } = DEFAULT_LABEL): Adapter {
  return createAdapter({
    pre: (req) => {
      const { method, path } = route(req);
      if (method !== 'POST' || path !== '/containers/create') return req;
      const body = jsonBody(req);
      // Not a JSON object: dockerd answers that create with its own error, nothing to label.
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return req;
      return withJsonBody(req, { ...body, Labels: { ...body.Labels, [label.key]: label.value } });
    },
  });
}

/** `key=value` from the command line; the key must not be empty. */
export function parseLabel(text: string): { key: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--label ${JSON.stringify(text)}: expected key=value`);
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--label');
  try {
    await runAdapter(labelAdapter(i >= 0 ? parseLabel(argv[i + 1] ?? '') : DEFAULT_LABEL), {
      argv,
      name: 'label adapter',
    });
  } catch (err) {
    console.error(`label adapter: ${(err as Error).message}`);
    process.exit(1);
  }
}
