/** The client every page uses, and the login screen that supplies its token when the API asks for one. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type FormEvent } from 'react';
import { isUnauthorized, makeClient, problemOf, storedToken, storeToken, type SluiceClient } from './api.js';
import { ProblemNote } from './ui.js';

interface Session {
  client: SluiceClient;
  /** A call answered 401: the token is missing or no longer right. */
  unauthorized(): void;
  /** Forget the token (the log-out link). */
  logout(): void;
  hasToken: boolean;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside <SessionProvider>');
  return s;
}

type Phase = 'checking' | 'login' | 'ready';

export function SessionProvider({ children }: { children: React.ReactNode }) {
  const [token, setToken] = useState(storedToken);
  const [phase, setPhase] = useState<Phase>('checking');
  const client = useMemo(() => makeClient(token), [token]);

  // One authenticated call tells whether the API wants a token (and whether the stored one still works).
  useEffect(() => {
    let live = true;
    setPhase('checking');
    client.health().then(
      () => live && setPhase('ready'),
      // Any other failure is not an auth matter: the pages show it in place (and retry).
      (err: unknown) => live && setPhase(isUnauthorized(err) ? 'login' : 'ready'),
    );
    return () => {
      live = false;
    };
  }, [client]);

  const unauthorized = useCallback(() => setPhase('login'), []);
  const logout = useCallback(() => {
    storeToken(undefined);
    setToken(undefined);
  }, []);
  const login = useCallback((t: string) => {
    storeToken(t);
    setToken(t);
  }, []);

  if (phase === 'checking') return <p className="loading">Connecting to the controller…</p>;
  if (phase === 'login') return <Login onToken={login} rejected={token !== undefined} />;
  return (
    <SessionContext.Provider value={{ client, unauthorized, logout, hasToken: token !== undefined }}>
      {children}
    </SessionContext.Provider>
  );
}

function Login({ onToken, rejected }: { onToken(token: string): void; rejected: boolean }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = value.trim();
    if (!t) {
      setError('Enter the API token (the controller’s --api-token or SLUICE_API_TOKEN).');
      return;
    }
    setBusy(true);
    try {
      await makeClient(t).health();
      onToken(t);
    } catch (err) {
      setError(
        isUnauthorized(err)
          ? 'The controller refused this token.'
          : `${problemOf(err).title}: ${problemOf(err).detail}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Log in">
        <h1>Sluice</h1>
        <p>This controller’s API needs a token. It is kept for this browser session only.</p>
        {rejected && !error ? (
          <ProblemNote
            problem={{ kind: 'api', title: 'Log in again', detail: 'The stored token was refused.' }}
          />
        ) : null}
        <label>
          API token
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            autoFocus
          />
        </label>
        {error ? (
          <p className="problem" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
