/**
 * The impact page in Chromium against a real Prometheus with real traffic: a demo service under
 * load evaluates its flag (a 50/50 split, counted per variant: trackExposures) through the
 * evaluator, which Prometheus scrapes. The page's exposure counts must equal Prometheus's own
 * answer for the same range, its charts must be drawn with their tables holding the API's
 * points, and with Prometheus stopped the page says so while the rest of the console works.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../../../../../../../../components/chart/format.ts';
import type { ImpactView } from '../../../../../../../../lib/impact-types.ts';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../../../../../test-support/browser.ts';
import { type RolloutStack, startRolloutStack } from '../../../../../../../../test-support/rollout-stack.ts';

const FLAG = 'new-checkout';
const ENV = '/projects/demo/environments/prod';
const STEP = 5;

const counts = (name: string) =>
  `sum(increase(app_${name}{flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"}[{{window}}]))`;

/** Sums of a range query's series per variant, as Prometheus itself answers it. */
async function prometheusTotals(url: string, query: string, from: number, to: number): Promise<Record<string, number>> {
  const q = new URLSearchParams({ query, start: String(from), end: String(to), step: String(STEP) });
  const body = (await (await fetch(`${url}/api/v1/query_range?${q}`)).json()) as {
    data: { result: Array<{ metric: { variant?: string }; values: Array<[number, string]> }> };
  };
  const out: Record<string, number> = {};
  for (const s of body.data.result)
    out[s.metric.variant ?? ''] = s.values.reduce((a, [, v]) => a + (Number.isFinite(Number(v)) ? Number(v) : 0), 0);
  return out;
}

/** Non-blank pixels of the chart's canvas (uPlot draws its series there). */
const inkedPixels = (page: Page, testId: string) =>
  page.locator(`[data-testid="${testId}"] canvas`).evaluate((c) => {
    const canvas = c as unknown as {
      width: number;
      height: number;
      getContext(t: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    };
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });

describe('the impact page (Chromium, real Prometheus, real traffic)', () => {
  let s: RolloutStack;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const pageUrl = () => `${s.consoleUrl}${ENV}/flags/${FLAG}/impact`;

  beforeAll(async () => {
    s = await startRolloutStack([{ key: FLAG, errorRates: { on: 0.1, off: 0.01 } }]);
    // Counted per variant without a rollout: the explicit opt-in and a metric definition naming it.
    const def = await s.admin.ok<Record<string, unknown>>('GET', `/projects/demo/flags/${FLAG}`);
    await s.admin.ok('PUT', `/projects/demo/flags/${FLAG}`, {
      type: def.type,
      variants: def.variants,
      salt: def.salt,
      trackExposures: true,
      version: def.version,
    });
    await s.admin.ok('POST', '/projects/demo/metrics', {
      key: 'error-ratio',
      name: 'Error ratio',
      kind: 'ratio',
      better: 'lower',
      numerator: counts('request_errors_total'),
      denominator: counts('requests_total'),
      flags: [FLAG],
    });
    const cfg = await s.admin.ok<Record<string, unknown>>('GET', `${ENV}/flags/${FLAG}`);
    await s.admin.ok('PUT', `${ENV}/flags/${FLAG}`, {
      ...cfg,
      enabled: true,
      defaultRule: {
        split: [
          { variant: 'on', weight: 50_000 },
          { variant: 'off', weight: 50_000 },
        ],
      },
    });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, await s.mintKey({ name: 'laptop', owner: 'pm@example.com', role: 'viewer' }));
    // Traffic for a while: both variants counted by the evaluator over several scrapes.
    const query = `sum by (variant) (increase(evaluator_exposures_total{flag="${FLAG}"}[10s]))`;
    for (let i = 0; i < 90; i++) {
      const r = (await (await fetch(`${s.prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      if (r.data.result.length === 2 && r.data.result.every((x) => Number(x.value[1]) > 50)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    await new Promise((res) => setTimeout(res, 15_000));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it("shows exposures per variant equal to Prometheus's own answer, with drawn charts whose tables hold the API's points", async () => {
    // A closed range that ended a scrape ago, so Prometheus answers the same later.
    const to = Math.floor(Date.now() / 1000 / STEP) * STEP - 10;
    const from = to - 60;
    const iso = (t: number) => new Date(t * 1000).toISOString();
    await page.goto(`${pageUrl()}?from=${iso(from)}&to=${iso(to)}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(FLAG);
    const query = (await page.getByTestId('exposure-query').textContent())!;
    const shown: Record<string, number> = {};
    for (const v of ['on', 'off'])
      shown[v] = Number(
        await page
          .locator(`[data-testid="exposure-totals"] tr[data-variant="${v}"] td`)
          .first()
          .getAttribute('data-count'),
      );
    const own = await prometheusTotals(s.prometheus.url, query, from, to);
    for (const v of ['on', 'off']) {
      expect(shown[v]).toBeGreaterThan(100);
      expect(Math.abs(shown[v]! - own[v]!) / own[v]!).toBeLessThan(0.01);
    }
    // About half each (a 50/50 split of random users).
    expect(shown.on! / (shown.on! + shown.off!)).toBeGreaterThan(0.35);
    expect(shown.on! / (shown.on! + shown.off!)).toBeLessThan(0.65);

    // The charts are drawn, and their tables hold the API's points.
    const api = await s.admin.ok<ImpactView>(
      'GET',
      `${ENV}/flags/${FLAG}/impact?from=${from}&to=${to}&step=${STEP}&metrics=error-ratio`,
    );
    for (const id of ['chart-exposures', 'chart-shares', 'chart-metric-error-ratio', 'chart-difference-error-ratio']) {
      await expect.poll(() => page.getByTestId(id).locator('[data-drawn="true"]').count(), { timeout: 10_000 }).toBe(1);
      expect(await inkedPixels(page, id), id).toBeGreaterThan(500);
    }
    await page.getByTestId('chart-exposures').locator('summary').click();
    const rows = await page
      .locator('[data-testid="chart-exposures-table"] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.length).toBe(api.timestamps.length);
    const variants = Object.keys(api.exposures);
    expect(rows.map((r) => r.slice(1))).toEqual(
      api.timestamps.map((_, i) => variants.map((v) => formatValue(api.exposures[v]!.counts[i], 'number'))),
    );
    // The treatment fails 10% of its requests, the control 1%: the metric says so per variant.
    const ratio = api.metrics.find((m) => m.key === 'error-ratio')!;
    const last = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).at(-1);
    expect(last(ratio.perVariant.on!)!).toBeGreaterThan(last(ratio.perVariant.off!)!);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('says Prometheus is not answering when it stops, and the rest of the console keeps working', async () => {
    await s.prometheus.stop();
    await page.goto(`${pageUrl()}?range=15m`);
    const alert = page.getByRole('alert').filter({ hasText: 'Prometheus did not answer' });
    await expect.poll(() => alert.count()).toBe(1);
    expect(await alert.textContent()).toContain('PROMETHEUS_UNREACHABLE');
    // The page itself is whole: its header, tabs, range picker and metric choice.
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(FLAG);
    expect(await page.getByRole('checkbox', { name: /Error ratio/ }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('navigation', { name: 'Flag views' }).getByRole('link', { name: 'Targeting' }).click();
    await page.waitForURL(`${s.consoleUrl}${ENV}/flags/${FLAG}`);
    expect(await page.getByRole('button', { name: 'Add a rule' }).count()).toBe(1);
    await page.goto(`${s.consoleUrl}/projects/demo/flags`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Flags of');
    expect(errors).toEqual([]);
  });
});
