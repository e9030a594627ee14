/** The app shell: the nav made from the page registry, and the page for the current /ui/<path>. */
import { useEffect, useState, type MouseEvent } from 'react';
import { PAGES, pageOf } from './pages/index.js';
import { useSession } from './session.js';

function usePathname(): [string, (to: string) => void] {
  const [pathname, setPathname] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPathname(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (to: string) => {
    window.history.pushState(null, '', to);
    setPathname(to);
  };
  return [pathname, go];
}

export function App() {
  const [pathname, go] = usePathname();
  const { logout, hasToken } = useSession();
  const page = pageOf(pathname);

  useEffect(() => {
    document.title = page ? `${page.title} · Sluice` : 'Sluice';
  }, [page]);

  const follow = (e: MouseEvent<HTMLAnchorElement>, to: string) => {
    // Let the browser handle new-tab clicks.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(to);
  };

  const Page = page?.component;
  return (
    <div className="shell">
      <nav aria-label="Pages">
        <span className="brand">Sluice</span>
        {PAGES.map((p) => {
          const to = `/ui/${p.path}`;
          return (
            <a
              key={p.path}
              href={to}
              aria-current={p === page ? 'page' : undefined}
              onClick={(e) => follow(e, to)}
            >
              {p.title}
            </a>
          );
        })}
        {hasToken ? (
          <button type="button" className="logout" onClick={logout}>
            Log out
          </button>
        ) : null}
      </nav>
      <main>
        <h1>{page?.title ?? 'Not found'}</h1>
        {Page ? (
          <Page />
        ) : (
          <p className="note" data-testid="unknown-page">
            There is no page at {pathname}. Pick one from the list.
          </p>
        )}
      </main>
    </div>
  );
}
