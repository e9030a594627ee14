/** A live time-series chart (uPlot, bundled): x is seconds since the epoch, one line per series. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
}

const HEIGHT = 220;

export function TimeChart({
  series,
  data,
  title,
}: {
  series: Series[];
  data: uPlot.AlignedData;
  title: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  // Made once per series set; new points only replace its data.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(
      {
        title,
        width: Math.max(320, el.clientWidth),
        height: HEIGHT,
        series: [
          {},
          ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false } })),
        ],
        axes: [{}, { label: 'per second', size: 60 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      },
      [[], ...series.map(() => [])],
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(320, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
    // Series are fixed per chart: only a new title makes a new plot.
  }, [title]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  // data-points: how many readings the chart holds (tests wait on it).
  return <div className="chart" ref={box} data-testid="chart" data-points={data[0].length} />;
}
