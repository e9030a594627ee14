/** A page listed in the nav whose screen is not written yet: it says so instead of showing nothing. */
import type { ComponentType } from 'react';

export function notBuilt(title: string): ComponentType {
  const Page = () => (
    <section>
      <p className="note" data-testid="not-built">
        The {title} page is not built yet. The API and the <code>sluice</code> CLI already cover it.
      </p>
    </section>
  );
  Page.displayName = `NotBuilt(${title})`;
  return Page;
}
