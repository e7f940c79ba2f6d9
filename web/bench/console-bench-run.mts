/**
 * `npm run bench:console` (`tsx web/bench/console-bench.ts`): the console in Chromium against a
 * project of 10,000 flags, on the real stack (web/test-support/console-stack.ts: controller on
 * embedded SQLite, workers, an evaluator, the built console).
 *
 * - flags page: LOADS loads of /projects/bench/flags (plain, with `?q=`, and a later page by its
 *   cursor); the server response time of each is the document's Navigation Timing
 *   `responseEnd - requestStart` (the whole HTML, streamed parts included; the time to first byte
 *   is printed beside it);
 * - flag page: LOADS loads of different flags' targeting editors, measured the same way;
 * - try a context: EDITS edits of the "Context (JSON)" textarea on a flag page (every other one
 *   a new JSON document, the others one typed character), each the time in the page from the
 *   input event to the DOM update of the evaluation output (`[data-eval-ms]`), taken by a
 *   MutationObserver with performance.now().
 * - rollout page: ROLLOUT_LOADS loads of /rollouts/:id for a rollout with TICKS ticks (seeded by
 *   rollout-seed.mts: the tick table's first page of 200, every tick in the charts), measured the
 *   same way;
 * - chart draw: CHART_ROUNDS draws of 3 series x 10,000 points with uPlot (the console's chart
 *   library) and, interleaved, with a React SVG path per series as the baseline (chart-draw.mts).
 * Five warm-up loads (and edits) come first and are not counted. The same page loads against a
 * 100-flag project give an informative baseline ratio.
 *
 * Env: FLAGS (10000), BASELINE_FLAGS (100), LOADS (50), EDITS (200), TICKS (1000),
 * ROLLOUT_LOADS (30), CHART_ROUNDS (20), CONSOLE_DIST_DIR.
 * Last line: {"bench":"console","metrics":{"flags_list_p95_ms","flag_page_p95_ms","try_context_p95_ms",
 * "rollout_page_p95_ms","chart_draw_10k_ms"},"ratio":{"svg_vs_uplot_draw":…}} (null for a page that
 * does not exist in this build). Targets: < 300, < 200, < 16, < 500, < 100 ms.
 */
import type { Page } from 'playwright-core';
import { launchChromium, signIn } from '../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../test-support/console-stack.ts';
import { measureChartDraws } from './chart-draw.mts';
import { seedRolloutWithTicks } from './rollout-seed.mts';
import { seedGeneratedProject } from './seed.mts';

const FLAGS = Number(process.env.FLAGS ?? 10_000);
const BASELINE_FLAGS = Number(process.env.BASELINE_FLAGS ?? 100);
const LOADS = Number(process.env.LOADS ?? 50);
const EDITS = Number(process.env.EDITS ?? 200);
const TICKS = Number(process.env.TICKS ?? 1_000);
const ROLLOUT_LOADS = Number(process.env.ROLLOUT_LOADS ?? 30);
const CHART_ROUNDS = Number(process.env.CHART_ROUNDS ?? 20);
const CHART_POINTS = 10_000;
const WARMUP = 5;
/** One edit's output update may take at most this long; a slower one counts as this long and as missed. */
const EDIT_TIMEOUT_MS = 2_000;
const say = (m: string) => console.log(`console-bench: ${m}`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
const r1 = (n: number) => Math.round(n * 10) / 10;
const summary = (v: number[]) =>
  v.length === 0
    ? 'no samples'
    : `p50 ${r1(percentile(v, 50))} ms, p95 ${r1(percentile(v, 95))} ms, max ${r1(Math.max(...v))} ms`;

interface LoadTiming {
  ttfb: number;
  full: number;
}

/** Loads `url` as a navigation and returns its Navigation Timing, or undefined when the page is not there. */
async function load(page: Page, url: string): Promise<LoadTiming | undefined> {
  const response = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  if (!response || response.status() !== 200) return undefined;
  if (new URL(page.url()).pathname !== new URL(url).pathname) return undefined; // redirected (signed out?)
  // A string: the root tsconfig has no DOM types, and this runs in the page.
  return page.evaluate<LoadTiming>(`(() => {
    const [nav] = performance.getEntriesByType('navigation');
    return { ttfb: nav.responseStart - nav.requestStart, full: nav.responseEnd - nav.requestStart };
  })()`);
}

/** WARMUP + n loads cycling through `urls`; undefined when the first URL's page does not exist. */
async function measureLoads(page: Page, urls: string[], n: number): Promise<LoadTiming[] | undefined> {
  const out: LoadTiming[] = [];
  for (let i = 0; i < WARMUP + n; i++) {
    const t = await load(page, urls[i % urls.length]!);
    if (!t) {
      if (i === 0) return undefined;
      throw new Error(`${urls[i % urls.length]} did not answer 200 on load ${i}`);
    }
    if (i >= WARMUP) out.push(t);
  }
  return out;
}

/** A later page of the flags list: the page's own "next" link, else the API's cursor after 5,000 flags. */
async function laterPageUrl(page: Page, s: ConsoleStack, base: string, project: string): Promise<string> {
  await page.goto(base);
  const next = page.locator('a[rel="next"], a:text-matches("^\\\\s*(next|older|more)\\\\b", "i")').first();
  if ((await next.count()) > 0) {
    const href = await next.getAttribute('href');
    if (href) return new URL(href, base).toString();
  }
  const api = await s.admin.ok<{ nextCursor?: string | null }>(
    'GET',
    `/projects/${project}/flags?limit=${Math.min(500, Math.max(1, Math.floor(FLAGS / 20)))}`,
  );
  return api.nextCursor ? `${base}?cursor=${encodeURIComponent(api.nextCursor)}` : base;
}

/** Flags-list and flag-page loads of one project. */
async function pageLoads(page: Page, s: ConsoleStack, project: string, keys: string[]) {
  const base = `${s.consoleUrl}/projects/${project}/flags`;
  let flagsList: LoadTiming[] | undefined;
  const first = await load(page, base);
  if (first) {
    const later = await laterPageUrl(page, s, base, project);
    const urls: string[] = [];
    for (let i = 0; i < 10; i++) {
      if (i === 3 || i === 7) urls.push(`${base}?q=${encodeURIComponent(`flag-0${i}`)}`);
      else if (i === 5) urls.push(later);
      else urls.push(base);
    }
    flagsList = await measureLoads(page, urls, LOADS);
  }
  const flagUrls = Array.from(
    { length: WARMUP + LOADS },
    (_, i) =>
      `${s.consoleUrl}/projects/${project}/environments/dev/flags/${encodeURIComponent(keys[(i * 197) % keys.length]!)}`,
  );
  const flagPage = await measureLoads(page, flagUrls, LOADS);
  return { flagsList, flagPage };
}

/**
 * Installed in the flag page, with the context textarea focused: each `input` event on it starts
 * a clock, the first DOM mutation inside the evaluation output (`[data-eval-ms]`) after it stops
 * the clock (window.__bench.samples), and the output's own evaluation time is kept beside it.
 */
const IN_PAGE_TIMER = `(() => {
  const ta = document.activeElement;
  const b = { t0: 0, pending: false, samples: [], evalMs: [] };
  window.__bench = b;
  const inOutput = (n) => {
    const el = n && (n.nodeType === 1 ? n : n.parentElement);
    return !!el && !!el.closest('[data-eval-ms]');
  };
  const isOutput = (a) => a.nodeType === 1 && (a.matches('[data-eval-ms]') || !!a.querySelector('[data-eval-ms]'));
  document.addEventListener('input', (e) => {
    if (e.target !== ta) return;
    b.t0 = performance.now();
    b.pending = true;
  }, true);
  new MutationObserver((records) => {
    if (!b.pending) return;
    const hit = records.some((r) => !ta.contains(r.target) && (inOutput(r.target) || Array.from(r.addedNodes).some(isOutput)));
    if (!hit) return;
    b.samples.push(performance.now() - b.t0);
    b.pending = false;
    const ms = Number(document.querySelector('[data-eval-ms]')?.getAttribute('data-eval-ms'));
    if (Number.isFinite(ms)) b.evalMs.push(ms);
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

/** EDITS edits of the context textarea; each sample is input event -> output DOM update, in the page. */
async function tryContext(
  page: Page,
  url: string,
): Promise<{ samples: number[]; evalMs: number[]; missed: number } | undefined> {
  if (!(await load(page, url))) return undefined;
  const textarea = page.getByLabel('Context (JSON)').first();
  if ((await textarea.count()) === 0) {
    const opener = page
      .getByRole('button', { name: /try/i })
      .or(page.getByRole('tab', { name: /try/i }))
      .first();
    if ((await opener.count()) > 0) await opener.click();
  }
  if ((await textarea.count()) === 0 || (await page.locator('[data-eval-ms]').count()) === 0) return undefined;
  await textarea.focus();
  // A string, not a function: tsx's keep-names helper (__name) does not exist in the page.
  await page.evaluate(IN_PAGE_TIMER);
  let missed = 0;
  const total = WARMUP + EDITS;
  for (let i = 0; i < total; i++) {
    const before = await page.evaluate(
      () => (globalThis as unknown as { __bench: { samples: number[] } }).__bench.samples.length,
    );
    if (i % 2 === 0) {
      // A whole new document: a beta tester (segment rule, serves on).
      await textarea.fill(JSON.stringify({ plan: 'free', country: 'DE', edit: i, targetingKey: 'u1' }));
    } else {
      // One typed character: "u1" becomes "u10", out of the segment (default rule, serves off).
      await textarea.press('End');
      await textarea.press('ArrowLeft');
      await textarea.press('ArrowLeft');
      await page.keyboard.type('0');
    }
    const seen = await page
      .waitForFunction(
        (n) => (globalThis as unknown as { __bench: { samples: number[] } }).__bench.samples.length > n,
        before,
        { timeout: EDIT_TIMEOUT_MS, polling: 'raf' },
      )
      .then(() => true)
      .catch(() => false);
    if (!seen) {
      missed++;
      await page.evaluate((ms) => {
        const b = (globalThis as unknown as { __bench: { samples: number[]; pending: boolean } }).__bench;
        b.samples.push(ms);
        b.pending = false;
      }, EDIT_TIMEOUT_MS);
    }
  }
  const b = await page.evaluate(
    () => (globalThis as unknown as { __bench: { samples: number[]; evalMs: number[] } }).__bench,
  );
  return { samples: b.samples.slice(WARMUP), evalMs: b.evalMs.slice(WARMUP), missed };
}

const started = Date.now();
say(`starting the stack (console build in ${process.env.CONSOLE_DIST_DIR || '.next'} when needed)`);
const s = await startConsoleStack();
const browser = await launchChromium();
const metrics: {
  flags_list_p95_ms: number | null;
  flag_page_p95_ms: number | null;
  try_context_p95_ms: number | null;
  rollout_page_p95_ms: number | null;
  chart_draw_10k_ms: number | null;
} = {
  flags_list_p95_ms: null,
  flag_page_p95_ms: null,
  try_context_p95_ms: null,
  rollout_page_p95_ms: null,
  chart_draw_10k_ms: null,
};
const ratio: { svg_vs_uplot_draw: number | null } = { svg_vs_uplot_draw: null };
try {
  let t = Date.now();
  const keys = await seedGeneratedProject(s.admin, 'bench', FLAGS);
  say(`seeded project bench: ${FLAGS} flags, dev and prod, one import (${Date.now() - t} ms)`);
  t = Date.now();
  const smallKeys = await seedGeneratedProject(s.admin, 'bench-small', BASELINE_FLAGS);
  say(`seeded project bench-small: ${BASELINE_FLAGS} flags (${Date.now() - t} ms)`);
  const token = await s.mintKey({ name: 'bench', owner: 'bench@example.com', role: 'editor' });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await signIn(page, s.consoleUrl, token);

  const big = await pageLoads(page, s, 'bench', keys);
  const small = await pageLoads(page, s, 'bench-small', smallKeys);
  const report = (name: string, a: LoadTiming[] | undefined, b: LoadTiming[] | undefined) => {
    if (!a) {
      say(`${name}: the page does not exist in this build (404): null`);
      return null;
    }
    say(
      `${name}, ${FLAGS} flags, ${a.length} loads: server response ${summary(a.map((x) => x.full))}; first byte ${summary(a.map((x) => x.ttfb))}`,
    );
    if (b) {
      say(
        `${name}, ${BASELINE_FLAGS} flags (baseline), ${b.length} loads: server response ${summary(b.map((x) => x.full))}`,
      );
      const ratio =
        percentile(
          a.map((x) => x.full),
          95,
        ) /
        Math.max(
          0.1,
          percentile(
            b.map((x) => x.full),
            95,
          ),
        );
      say(`${name}: p95 ratio ${FLAGS} / ${BASELINE_FLAGS} flags = ${ratio.toFixed(2)} (informative)`);
    }
    return r1(
      percentile(
        a.map((x) => x.full),
        95,
      ),
    );
  };
  metrics.flags_list_p95_ms = report('flags page', big.flagsList, small.flagsList);
  metrics.flag_page_p95_ms = report('flag page', big.flagPage, small.flagPage);

  // Flag 10: enabled, with the segment rule and the split (generatedFlag), so each edit flips what it serves.
  const tryKey = keys[Math.min(10, keys.length - 1)]!;
  const tc = await tryContext(
    page,
    `${s.consoleUrl}/projects/bench/environments/dev/flags/${encodeURIComponent(tryKey)}`,
  );
  if (!tc)
    say(
      'try a context: no "Context (JSON)" textarea with a [data-eval-ms] output on the flag page in this build: null',
    );
  else {
    say(
      `try a context, ${tc.samples.length} edits on ${tryKey}: input -> output update ${summary(tc.samples)}${tc.missed ? `; ${tc.missed} edits showed no update within ${EDIT_TIMEOUT_MS} ms (counted as ${EDIT_TIMEOUT_MS} ms)` : ''}`,
    );
    if (tc.evalMs.length > 0) say(`try a context: the evaluation itself (data-eval-ms) ${summary(tc.evalMs)}`);
    metrics.try_context_p95_ms = r1(percentile(tc.samples, 95));
  }

  t = Date.now();
  const rolloutId = await seedRolloutWithTicks(s, TICKS);
  say(`seeded rollout ${rolloutId} with ${TICKS} ticks (${Date.now() - t} ms)`);
  const rollout = await measureLoads(page, [`${s.consoleUrl}/rollouts/${rolloutId}`], ROLLOUT_LOADS);
  if (rollout) {
    say(
      `rollout page, ${TICKS} ticks, ${rollout.length} loads: server response ${summary(rollout.map((x) => x.full))}`,
    );
    metrics.rollout_page_p95_ms = r1(
      percentile(
        rollout.map((x) => x.full),
        95,
      ),
    );
  }

  const draws = await measureChartDraws(browser, CHART_POINTS, CHART_ROUNDS);
  say(`chart draw, 3 series x ${CHART_POINTS} points, uPlot: ${summary(draws.uplot)}`);
  say(`chart draw, the same with a React SVG path per series (baseline): ${summary(draws.svg)}`);
  metrics.chart_draw_10k_ms = r1(percentile(draws.uplot, 95));
  ratio.svg_vs_uplot_draw =
    Math.round((percentile(draws.svg, 95) / Math.max(0.1, percentile(draws.uplot, 95))) * 100) / 100;
  await ctx.close();
  say(
    `targets: flags page < 300 ms, flag page < 200 ms, try a context < 16 ms, rollout page < 500 ms, chart draw < 100 ms; run took ${Math.round((Date.now() - started) / 1000)} s`,
  );
} finally {
  await browser.close();
  await s.stop();
}
console.log(JSON.stringify({ bench: 'console', metrics, ratio }));
