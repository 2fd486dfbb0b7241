// Charts for the console's dashboards: uPlot (bundled by Vite with its stylesheet, nothing from a
// CDN; it sets its few styles through the CSSOM, which the page's CSP allows), drawn into a
// <figure> with its caption and units, and each series' numbers given as a table by the caller.
// A chart marks `figure:<name>:drawn` (performance.mark) when it first draws: the paint bench
// (bench/console-paint.ts) and the browser test read those marks.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';

export interface ChartSeries {
  label: string;
  values: ReadonlyArray<number | null>;
  /** A line (the default) or bars. */
  kind?: 'line' | 'bars';
}

export interface ChartSpec {
  /** Names the performance mark and the figure's `data-chart`. */
  name: string;
  /** Instants (a time axis in the program's time zone), or category labels (bars side by side). */
  x: { time: readonly Date[]; timeZone: string } | { categories: readonly string[] };
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** How the y axis and the legend show a value (a percentage, money, a count). */
  format: (value: number) => string;
  /** What a screen reader hears for the picture (its numbers are in the table next to it). */
  description: string;
}

const COLORS = ['#1f5fbf', '#d97706', '#137333', '#9333ea'];
const HEIGHT = 260;

/** The chart's <figure>: call `draw` once it is in the document (uPlot measures its width). */
export function chart(spec: ChartSpec, caption: string): { figure: HTMLElement; draw: () => void } {
  const plot = h('div', { class: 'chart-plot', role: 'img', 'aria-label': spec.description });
  const figure = h('figure', { class: 'chart', 'data-chart': spec.name }, h('figcaption', {}, caption), plot);
  return { figure, draw: () => drawChart(plot, figure, spec) };
}

function drawChart(plot: HTMLElement, figure: HTMLElement, spec: ChartSpec): void {
  const categories = 'categories' in spec.x ? spec.x.categories : null;
  const xs = categories ? categories.map((_, i) => i) : (spec.x as { time: readonly Date[] }).time.map((at) => at.getTime() / 1000);
  const bars = spec.series.filter((s) => s.kind === 'bars');
  const width = Math.max(320, Math.min(plot.clientWidth || 800, 1100));
  let drawn = false;
  const options: uPlot.Options = {
    width,
    height: HEIGHT,
    ...(categories ? {} : { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), (spec.x as { timeZone: string }).timeZone) }),
    scales: {
      x: categories ? { time: false, range: () => [-0.5, Math.max(categories.length - 0.5, 0.5)] } : { time: true },
      y: { range: (_u, min, max) => [Math.min(0, min ?? 0), max && max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        label: spec.xLabel,
        ...(categories ? { splits: () => xs, values: (_u: uPlot, splits: number[]) => splits.map((i) => categories[i] ?? ''), gap: 4 } : {}),
        // Many or long category names: slanted, so they do not run into each other.
        ...(categories && (categories.length > 6 || categories.some((c) => c.length > 14)) ? { rotate: -25, size: 90 } : {}),
      },
      { label: spec.yLabel, size: 70, values: (_u: uPlot, splits: number[]) => splits.map((v) => spec.format(v)) },
    ],
    series: [
      categories ? { label: spec.xLabel, value: (_u: uPlot, i: number | null) => (i === null ? '' : (categories[i] ?? '')) } : {},
      ...spec.series.map((s, i): uPlot.Series => {
        const color = COLORS[i % COLORS.length]!;
        const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : spec.format(v));
        if (s.kind !== 'bars') return { label: s.label, stroke: color, width: 2, value, points: { show: xs.length < 40 } };
        // Bars of several series stand side by side around their category.
        const at = bars.indexOf(s);
        const align = bars.length === 1 ? 0 : at === 0 ? -1 : 1;
        const size = bars.length === 1 ? 0.6 : 0.35;
        return { label: s.label, stroke: color, fill: `${color}cc`, width: 1, value, paths: uPlot.paths.bars!({ size: [size, 80], align }), points: { show: false } };
      }),
    ],
    hooks: {
      draw: [
        () => {
          if (drawn) return;
          drawn = true;
          figure.dataset.drawn = 'true';
          performance.mark(`figure:${spec.name}:drawn`);
        },
      ],
    },
  };
  const data = [xs, ...spec.series.map((s) => [...s.values])] as uPlot.AlignedData;
  const chart = new uPlot(options, data, plot);
  // Follows the page's width (a narrow window, the language switched).
  new ResizeObserver(() => {
    const next = Math.max(320, Math.min(plot.clientWidth || width, 1100));
    if (Math.abs(next - chart.width) > 4) chart.setSize({ width: next, height: HEIGHT });
  }).observe(plot);
}
