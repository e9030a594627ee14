/**
 * The options every API verb shares (--api, --token, --cacert, --cert, --key, their SLUICE_API* variables), how
 * they become the client's options, and what a TLS failure tells the user to change.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import {
  ClientOptionError,
  pemProblem,
  validateTls,
  type NodeClientOptions,
  type ConnectionError,
  type PemKind,
  type TlsOptionNames,
  type TlsOptions,
} from '../client/node.js';
import { apiUrlArg } from './args.js';

export const DEFAULT_API = 'http://127.0.0.1:8080';

/** What commander hands an API verb's action (PEM options are the files' contents, checked on entry). */
export interface QueryOptions {
  json?: boolean;
  api: string;
  token?: string;
  cacert?: string;
  cert?: string;
  key?: string;
}

/** Each PEM option: its flag, its environment variable, and what the file must hold. */
const PEM_OPTIONS = [
  { field: 'cacert', kind: 'ca', flag: '--cacert', env: 'SLUICE_API_CACERT' },
  { field: 'cert', kind: 'cert', flag: '--cert', env: 'SLUICE_API_CERT' },
  { field: 'key', kind: 'key', flag: '--key', env: 'SLUICE_API_KEY' },
] as const;

/** Reads a PEM file of `kind`; the error says why (commander prefixes the option it came from). */
export function readPemFile(kind: PemKind, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(
      code === 'ENOENT' ? `${file} does not exist.` : `cannot read ${file}: ${(e as Error).message}.`,
    );
  }
  const problem = pemProblem(kind, text);
  if (problem) throw new InvalidArgumentError(`${file} ${problem}.`);
  return text;
}

/** The API base URL from SLUICE_API, or the default; a bad value is reported naming the variable. */
export function apiDefault(env: Record<string, string | undefined>): string {
  if (!env.SLUICE_API) return DEFAULT_API;
  try {
    return apiUrlArg(env.SLUICE_API);
  } catch (e) {
    throw new InvalidArgumentError(`SLUICE_API: ${(e as Error).message}`);
  }
}

/** Adds --json and the connection options to an API verb. */
export function addApiOptions(cmd: Command, env: Record<string, string | undefined>): Command {
  return cmd
    .option('--json', 'print the API response as JSON')
    .option('--api <url>', 'Sluice API base URL (env SLUICE_API)', apiUrlArg, apiDefault(env))
    .option('--token <token>', 'API bearer token (env SLUICE_API_TOKEN)', env.SLUICE_API_TOKEN)
    .option(
      '--cacert <file>',
      'CA certificate(s) (PEM) the API’s HTTPS certificate must chain to (env SLUICE_API_CACERT)',
      (file: string) => readPemFile('ca', file),
    )
    .option(
      '--cert <file>',
      'client certificate (PEM) for an API that requires one (env SLUICE_API_CERT)',
      (file: string) => readPemFile('cert', file),
    )
    .option('--key <file>', 'private key (PEM) of --cert (env SLUICE_API_KEY)', (file: string) =>
      readPemFile('key', file),
    );
}

/**
 * The client's options: flags first, then SLUICE_API_CACERT/CERT/KEY (read here, only when used). Throws
 * InvalidArgumentError (a usage error) naming the flag or variable at fault.
 */
export function clientOptionsFrom(
  o: QueryOptions,
  env: Record<string, string | undefined>,
): NodeClientOptions {
  const tls: TlsOptions = {};
  const names: TlsOptionNames = { baseUrl: '--api', ca: '--cacert', cert: '--cert', key: '--key' };
  for (const p of PEM_OPTIONS) {
    const tlsKey = p.kind;
    const fromFlag = o[p.field];
    const file = env[p.env];
    if (fromFlag !== undefined) tls[tlsKey] = fromFlag;
    else if (file) {
      names[tlsKey] = p.env;
      try {
        tls[tlsKey] = readPemFile(p.kind, file);
      } catch (e) {
        throw new InvalidArgumentError(`${p.env}: ${(e as Error).message}`);
      }
    }
  }
  try {
    validateTls(o.api, tls, names);
  } catch (e) {
    if (e instanceof ClientOptionError) throw new InvalidArgumentError(`${e.field}: ${e.reason}.`);
    throw e;
  }
  return {
    baseUrl: o.api,
    ...(o.token ? { token: o.token } : {}),
    ...(Object.keys(tls).length ? { tls } : {}),
  };
}

/** What to tell the user about a TLS failure (undefined when the failure is not a TLS matter). */
export function tlsAdvice(err: ConnectionError): string | undefined {
  const at = `the API at ${err.baseUrl}`;
  // A bare close or reset says nothing the sentence does not; TLS codes help a search.
  const code =
    err.socketCode && !['UND_ERR_SOCKET', 'ECONNRESET'].includes(err.socketCode)
      ? ` (${err.socketCode})`
      : '';
  switch (err.tls) {
    case 'client-cert-required':
      return (
        `${at} asked for a client certificate${code}: pass --cert and --key ` +
        `(or set SLUICE_API_CERT and SLUICE_API_KEY) with a certificate signed by the controller's --api-tls-ca.`
      );
    case 'client-cert-rejected':
      return (
        `${at} refused the client certificate${code}: --cert must be signed by the CA the controller was ` +
        `given with --api-tls-ca (and be still valid).`
      );
    case 'server-cert-untrusted':
      return (
        `${at} presented a certificate signed by an unknown CA${code}: pass --cacert (or set ` +
        `SLUICE_API_CACERT) with the CA that signed the controller's --api-tls-cert.`
      );
    case 'server-name-mismatch':
      return (
        `${at} presented a certificate that is not valid for that host${code}: use in --api a name or ` +
        `address listed in the certificate's subjectAltName.`
      );
    case 'server-cert-expired':
      return `${at} presented a certificate that has expired or is not valid yet${code}: renew the controller's --api-tls-cert.`;
    case 'not-tls':
      return `${at} does not speak HTTPS${code}: use an http:// URL in --api (and drop --cacert, --cert and --key).`;
    case 'maybe-tls-server':
      return (
        `${at} closed the connection without answering${code}. If the controller serves HTTPS ` +
        `(--api-tls-cert), use an https:// URL in --api, with --cacert, --cert and --key as it requires.`
      );
    default:
      return undefined;
  }
}
