/** Previous / next through pages of a table (the hosts' pages come from the server, the switches' from memory). */
export function Pager({ page, pages, onPage }: { page: number; pages: number; onPage(p: number): void }) {
  return (
    <div className="pager" role="group" aria-label="Pages of results">
      <button type="button" disabled={page <= 0} onClick={() => onPage(page - 1)}>
        ‹ Previous
      </button>
      <span data-testid="page-of">
        Page {page + 1} of {pages}
      </span>
      <button type="button" disabled={page >= pages - 1} onClick={() => onPage(page + 1)}>
        Next ›
      </button>
    </div>
  );
}
