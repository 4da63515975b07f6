/**
 * A hand-written SVG of horizontal bar panels with min–max whiskers (no chart library: the
 * output is small, deterministic, and converts with rsvg-convert).
 */

/** One bar: a median and its range. */
export interface Bar {
  readonly label: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Drawn in the accent colour (Pier). */
  readonly highlight?: boolean;
}

/** One panel of bars sharing an axis. */
export interface Panel {
  readonly title: string;
  /** Formats a value for the bar's end label. */
  readonly format: (value: number) => string;
  readonly bars: readonly Bar[];
}

const WIDTH = 900;
const LABEL_W = 210;
const VALUE_W = 90;
const BAR_H = 22;
const GAP = 8;
const PANEL_HEAD = 34;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panelSvg(panel: Panel, top: number): { svg: string; height: number } {
  const finite = panel.bars.filter((b) => Number.isFinite(b.median));
  const scaleMax = Math.max(1e-9, ...finite.map((b) => b.max));
  const plotW = WIDTH - LABEL_W - VALUE_W - 20;
  const x = (v: number) => LABEL_W + (v / scaleMax) * plotW;
  const parts = [`<text x="12" y="${top + 22}" font-size="16" font-weight="bold">${escape(panel.title)}</text>`];
  finite.forEach((bar, i) => {
    const y = top + PANEL_HEAD + i * (BAR_H + GAP);
    const mid = y + BAR_H / 2;
    const fill = bar.highlight ? '#d9480f' : '#4c6ef5';
    parts.push(
      `<text x="${LABEL_W - 8}" y="${mid + 5}" font-size="13" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y}" width="${(x(bar.median) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${fill}" rx="2"/>`,
      `<line x1="${x(bar.min).toFixed(1)}" x2="${x(bar.max).toFixed(1)}" y1="${mid}" y2="${mid}" stroke="#212529" stroke-width="1.5"/>`,
      `<line x1="${x(bar.min).toFixed(1)}" x2="${x(bar.min).toFixed(1)}" y1="${mid - 5}" y2="${mid + 5}" stroke="#212529" stroke-width="1.5"/>`,
      `<line x1="${x(bar.max).toFixed(1)}" x2="${x(bar.max).toFixed(1)}" y1="${mid - 5}" y2="${mid + 5}" stroke="#212529" stroke-width="1.5"/>`,
      `<text x="${(x(bar.max) + 6).toFixed(1)}" y="${mid + 5}" font-size="13">${escape(panel.format(bar.median))}</text>`,
    );
  });
  return { svg: parts.join('\n'), height: PANEL_HEAD + finite.length * (BAR_H + GAP) + 16 };
}

/** Renders `panels` stacked under `title`, with `footer` (method notes) at the bottom. */
export function renderBarChartSvg(title: string, panels: readonly Panel[], footer: string): string {
  let top = 44;
  const bodies: string[] = [];
  for (const panel of panels) {
    const { svg, height } = panelSvg(panel, top);
    bodies.push(svg);
    top += height;
  }
  const height = top + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, sans-serif" fill="#212529">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="28" font-size="19" font-weight="bold">${escape(title)}</text>
${bodies.join('\n')}
<text x="12" y="${height - 12}" font-size="11" fill="#495057">${escape(footer)}</text>
</svg>
`;
}
