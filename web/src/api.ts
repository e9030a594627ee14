/**
 * The dashboard's one way to the API: the typed client from src/client, same origin, with the token the login
 * screen took (kept in sessionStorage: gone when the browser session ends). Also how a failure reads on a page.
 */
import { ApiError, ConnectionError, SluiceClient } from '../../src/client/index.js';

export { ApiError, ConnectionError, SluiceClient };

const TOKEN_KEY = 'sluice.apiToken';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function makeClient(token: string | undefined): SluiceClient {
  return new SluiceClient({
    baseUrl: window.location.origin,
    timeoutMs: 10_000,
    ...(token ? { token } : {}),
  });
}

/** The API wants a (different) token: the app shows its login screen. */
export const isUnauthorized = (err: unknown): boolean => err instanceof ApiError && err.status === 401;

/**
 * A route that is not there: the app that serves it is not loaded on this controller (the API registers an
 * app's routes only with the app), so the page says the feature is not running rather than failing.
 */
export const isFeatureMissing = (err: unknown): boolean =>
  err instanceof ApiError && err.status === 404 && /^no route for /.test(err.detail);

export interface Problem {
  kind: 'connection' | 'api' | 'missing' | 'other';
  title: string;
  /** The API's `detail`, or what the browser said. */
  detail: string;
}

export function problemOf(err: unknown): Problem {
  if (err instanceof ConnectionError) {
    return {
      kind: 'connection',
      title: `Lost connection to the controller at ${window.location.origin}`,
      detail: `${err.socketCode ?? err.message}. Is \`sluice controller\` still running? Retrying.`,
    };
  }
  if (isFeatureMissing(err)) {
    const e = err as ApiError;
    return { kind: 'missing', title: 'This feature is not running on this controller', detail: e.detail };
  }
  if (err instanceof ApiError) {
    return {
      kind: 'api',
      title: `The API answered ${err.status} ${err.error}`,
      detail: err.field ? `${err.detail} (field: ${err.field})` : err.detail,
    };
  }
  return {
    kind: 'other',
    title: 'Something went wrong',
    detail: err instanceof Error ? err.message : String(err),
  };
}
