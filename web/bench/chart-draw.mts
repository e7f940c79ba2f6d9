/**
 * The chart library's draw time, measured in Chromium: uPlot (what web/components/chart draws
 * with) against a plain React SVG `<path>` per series as the baseline, both drawing the same
 * 3 series of POINTS points. uPlot's time runs from `new uPlot(opts, data)` to its `draw` hook; the SVG's
 * from `flushSync(render)` to a forced layout of the rendered element. Bundled with esbuild from
 * the installed packages (no network) and loaded with `page.setContent`.
 */
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { WEB_DIR } from '../scripts/console-build.ts';

const PAGE_SCRIPT = `
import uPlot from 'uplot';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';

function data(n) {
  const xs = new Float64Array(n), a = new Float64Array(n), b = new Float64Array(n), c = new Float64Array(n);
  for (let i = 0; i < n; i++) { xs[i] = 1.7e9 + i * 5; a[i] = Math.sin(i / 50) + 2; b[i] = Math.cos(i / 70) + 2; c[i] = (i % 97) / 50; }
  return [xs, a, b, c];
}

window.drawUplot = (n) => new Promise((resolve) => {
  const el = document.createElement('div');
  document.body.replaceChildren(el);
  const d = data(n);
  const t0 = performance.now();
  const u = new uPlot({
    width: 1000, height: 240, scales: { x: { time: true } }, legend: { show: false },
    series: [{}, { stroke: '#b4232a' }, { stroke: '#1f5fa8' }, { stroke: '#222' }],
    hooks: { draw: [() => { const ms = performance.now() - t0; u.destroy(); resolve(ms); }] },
  }, d, el);
});

window.drawSvg = (n) => {
  const el = document.createElement('div');
  document.body.replaceChildren(el);
  const [xs, ...ys] = data(n);
  const t0 = performance.now();
  const path = (y) => {
    let s = '';
    for (let i = 0; i < n; i++) s += (i ? 'L' : 'M') + ((xs[i] - xs[0]) / (xs[n - 1] - xs[0]) * 1000).toFixed(1) + ' ' + (240 - y[i] * 60).toFixed(1);
    return s;
  };
  const root = createRoot(el);
  flushSync(() => root.render(createElement('svg', { width: 1000, height: 240 },
    ys.map((y, k) => createElement('path', { key: k, d: path(y), fill: 'none', stroke: ['#b4232a', '#1f5fa8', '#222'][k] })))));
  el.getBoundingClientRect();
  const ms = performance.now() - t0;
  root.unmount();
  return ms;
};
`;

export interface DrawTimes {
  uplot: number[];
  svg: number[];
}

/** `rounds` interleaved draws of each (after 3 warm-ups each) of 3 series x `points` points. */
export async function measureChartDraws(browser: Browser, points: number, rounds: number): Promise<DrawTimes> {
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: WEB_DIR, loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    logLevel: 'silent',
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 400 } });
  try {
    await page.setContent(`<!doctype html><body></body>`);
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const out: DrawTimes = { uplot: [], svg: [] };
    for (let i = 0; i < 3 + rounds; i++) {
      const u = await page.evaluate(`window.drawUplot(${points})`);
      const s = await page.evaluate(`window.drawSvg(${points})`);
      if (i >= 3) {
        out.uplot.push(Number(u));
        out.svg.push(Number(s));
      }
    }
    return out;
  } finally {
    await page.close();
  }
}
