/** A tiny inline SVG line of recent values (no axes): the shape of a metric at a glance, next to its number. */
const W = 120;
const H = 24;

/** The polyline's points for `values` scaled into a W x H box (a flat series sits in the middle). */
export function sparkPoints(values: readonly number[], width = W, height = H): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const y = span === 0 ? height / 2 : height - 1 - ((v - min) / span) * (height - 2);
      return `${(i * step).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

export function Sparkline({ values }: { values: readonly number[] }) {
  return (
    <svg
      className="sparkline"
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`${values.length} recent values`}
      data-testid="sparkline"
      data-points={values.length}
    >
      {values.length > 1 ? (
        <polyline points={sparkPoints(values)} fill="none" stroke="var(--accent)" strokeWidth="1.5" />
      ) : null}
    </svg>
  );
}
