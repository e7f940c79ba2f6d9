/**
 * The rollout pages in Chromium against a real Prometheus with real traffic: demo services under
 * load, one healthy treatment and one that fails 25% of its requests, both ramped by a
 * one-minute policy. The reverted rollout's page must say what the API's evidence says, draw its
 * charts and hold the same points in their tables, and list every tick as the API does.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../../components/chart/format.ts';
import type { RolloutDetail, RolloutView } from '../../lib/rollout-types.ts';
import { chronological, verdictSentence } from '../../lib/rollout-verdict.ts';
import { accessibilityViolations, collectPageErrors, launchChromium, signIn } from '../../test-support/browser.ts';
import { type RolloutStack, startRolloutStack } from '../../test-support/rollout-stack.ts';

const HEALTHY = 'new-checkout';
/** A tick that failed, held on something not passing, or acted against the rollout (independent of tickPassed). */
const notPassed = (t: RolloutDetail['ticks'][number]) =>
  t.decision === 'rollback' ||
  t.decision === 'pause' ||
  (t.evidence?.metrics ?? []).some((m) => !m.dryRun && m.verdict !== 'pass' && m.verdict !== 'skipped');
const FAILING = 'new-search';

describe('the rollout pages (Chromium, real Prometheus, real traffic)', () => {
  let s: RolloutStack;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let errors: string[];
  const ids = new Map<string, number>();
  const detail = (id: number) => s.admin.ok<RolloutDetail>('GET', `/rollouts/${id}`);

  beforeAll(async () => {
    s = await startRolloutStack([
      { key: HEALTHY, errorRates: { on: 0.002, off: 0.002 } },
      { key: FAILING, errorRates: { on: 0.25, off: 0.002 } },
    ]);
    browser = await launchChromium();
    const token = await s.mintKey({ name: 'laptop', owner: 'sre@example.com', role: 'editor' });
    ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, token);
  }, 300_000);
  afterAll(async () => {
    await ctx?.close();
    await browser?.close();
    await s?.stop();
  });

  it('starts both rollouts from the flag pages: the policy with its steps and thresholds is shown', async () => {
    for (const flag of [HEALTHY, FAILING]) {
      await page.goto(`${s.consoleUrl}/projects/demo/environments/prod/flags/${flag}`);
      await page.getByRole('navigation', { name: 'Flag views' }).getByRole('link', { name: 'Rollouts' }).click();
      await page.waitForURL(/\/rollouts$/);
      await expect.poll(() => page.getByTestId('policy-summary').textContent()).toMatch(/10%.*25%.*50%.*100%/s);
      expect(await page.getByTestId('policy-summary').textContent()).toMatch(/max 0\.05/);
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.getByLabel('Treatment').selectOption('on');
      await page.getByLabel('Control').selectOption('off');
      await page.getByRole('button', { name: 'Start rollout' }).click();
      await page.waitForURL(/\/rollouts\/\d+$/);
      ids.set(flag, Number(new URL(page.url()).pathname.split('/').pop()));
    }
    const listed = await s.admin.ok<{ items: RolloutView[] }>('GET', '/rollouts?project=demo');
    expect(listed.items.map((r) => r.id).sort()).toEqual([...ids.values()].sort());
  }, 60_000);

  it('both rollouts finish as their traffic says: one completed, one rolled back', async () => {
    const deadline = Date.now() + 150_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      statuses = await Promise.all([...ids.values()].map(async (id) => (await detail(id)).status));
      if (statuses.every((x) => x !== 'running' && x !== 'awaiting-approval')) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(statuses).toEqual(['completed', 'rolled-back']);
  }, 160_000);

  it('the reverted rollout: the sentence carries the evidence numbers, the charts are drawn, the tables match the API', async () => {
    const id = ids.get(FAILING)!;
    const api = await detail(id);
    await page.goto(`${s.consoleUrl}/rollouts/${id}`);
    const sentence = (await page.getByTestId('verdict').textContent())!.trim();
    expect(sentence).toBe(verdictSentence(api));
    // The numbers, straight from the deciding tick's evidence.
    const deciding = chronological(api.ticks).findLast((t) => t.decision === 'rollback')!;
    const ratio = deciding.evidence!.metrics!.find((m) => m.name === 'error-ratio')!;
    expect(sentence).toContain(`Rolled back at ${deciding.at.slice(11, 19)} UTC by tick ${deciding.seq}:`);
    if (ratio.verdict === 'fail') {
      expect(sentence).toContain(`treatment error-ratio ${(ratio.value! * 100).toFixed(1).replace(/\.0$/, '')}%`);
      expect(sentence).toContain('exceeded the 5% guard');
    }

    // The error-ratio chart: treatment-coloured pixels inside the plot area.
    const chart = page.getByTestId('chart-error-ratio');
    await expect.poll(() => chart.locator('[data-drawn="true"]').count()).toBe(1);
    const painted = await chart.evaluate((fig) => {
      const canvas = fig.querySelector('canvas')!;
      const over = fig.querySelector('.u-over')!.getBoundingClientRect();
      const box = canvas.getBoundingClientRect();
      const k = canvas.width / box.width;
      const g = canvas.getContext('2d')!;
      const img = g.getImageData(
        Math.round((over.left - box.left) * k),
        Math.round((over.top - box.top) * k),
        Math.round(over.width * k),
        Math.round(over.height * k),
      ).data;
      let n = 0;
      for (let i = 0; i < img.length; i += 4)
        if (img[i + 3]! > 0 && Math.abs(img[i]! - 180) < 40 && img[i + 1]! < 90 && img[i + 2]! < 90) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(50);
    // Its table alternative: one row per tick, the same values.
    const ticks = chronological(api.ticks);
    await page.getByTestId('chart-error-ratio').locator('summary').click();
    const rows = await page
      .getByTestId('chart-error-ratio-table')
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.length).toBe(ticks.length);
    expect(rows.map((r) => r[1])).toEqual(
      ticks.map((t) => formatValue(t.evidence?.metrics?.find((m) => m.name === 'error-ratio')?.value, 'percent')),
    );
    // The rollback is a focusable marker.
    const marker = page.getByTestId('chart-weight').getByRole('button', { name: /rolled-back by rollout-controller/ });
    await marker.focus();
    expect(await marker.evaluate((el) => el.matches(':focus'))).toBe(true);

    // The tick table, tick for tick (newest first, as the API lists them).
    const tickRows = await page
      .getByTestId('tick-table')
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => ({
          seq: Number(tr.getAttribute('data-tick-seq')),
          decision: tr.querySelector('[data-col="decision"]')!.textContent,
          reason: tr.querySelector('[data-col="reason"]')!.textContent,
          verdicts: [...tr.querySelectorAll('[data-metric]')].map(
            (li) => `${li.getAttribute('data-metric')}=${li.getAttribute('data-verdict')}`,
          ),
        })),
      );
    expect(tickRows).toEqual(
      api.ticks.map((t) => ({
        seq: t.seq,
        decision: t.decision,
        reason: t.reason,
        verdicts: (t.evidence?.metrics ?? []).map((m) => `${m.name}=${m.verdict}`),
      })),
    );
    // Each query links to the Prometheus graph of exactly that query.
    const firstQuery = api.ticks[0]!.evidence!.queries![0]!;
    const href = await page
      .getByTestId('tick-table')
      .locator(`tr[data-tick-seq="${api.ticks[0]!.seq}"] li[data-query-id="${firstQuery.id}"] a`)
      .getAttribute('href');
    expect(new URL(href!).origin).toBe(s.prometheus.url);
    expect(new URL(href!).searchParams.get('g0.expr')).toBe(firstQuery.query);

    // Only the ticks that did not pass.
    await page.getByTestId('only-failed').click();
    await page.waitForURL(/ticks=failed/);
    const failedSeqs = await page
      .getByTestId('tick-table')
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-tick-seq'))));
    expect(failedSeqs).toContain(deciding.seq);
    expect(failedSeqs).toEqual(api.ticks.filter(notPassed).map((t) => t.seq));

    // Commands: only retry applies to a rolled-back rollout.
    const commands = page.getByTestId('rollout-commands');
    for (const name of ['Pause', 'Resume', 'Approve', 'Abort'])
      expect(await commands.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    expect(await commands.getByRole('button', { name: 'Retry', exact: true }).isDisabled()).toBe(false);
    expect(await accessibilityViolations(page)).toEqual([]);
  }, 60_000);

  it('the healthy rollout shows every step on its weight chart and in its timeline', async () => {
    const id = ids.get(HEALTHY)!;
    const api = await detail(id);
    await page.goto(`${s.consoleUrl}/rollouts/${id}`);
    expect((await page.getByTestId('verdict').textContent())!.trim()).toBe(verdictSentence(api));
    await page.getByTestId('chart-weight').locator('summary').click();
    const weights = await page.getByTestId('chart-weight-table').locator('tbody tr td:nth-child(2)').allTextContents();
    for (const w of ['10%', '25%', '50%', '100%']) expect(weights).toContain(w);
    const kinds = await page
      .getByTestId('timeline')
      .locator('li')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    expect(kinds).toEqual(['started', 'advanced', 'advanced', 'advanced', 'completed']);
    await expect.poll(() => page.getByTestId('chart-weight').locator('[data-drawn="true"]').count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    // Its healthy ticks drop out of "only ticks that did not pass".
    await page.getByTestId('only-failed').click();
    await page.waitForURL(/ticks=failed/);
    const failedSeqs = await page
      .getByTestId('tick-table')
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-tick-seq'))));
    expect(failedSeqs).toEqual(api.ticks.filter(notPassed).map((t) => t.seq));
    expect(failedSeqs.length).toBeLessThan(api.ticks.length);
  }, 30_000);

  it('the list shows status chips and filters by status; the rollback review lists the reverted rollout with its reason', async () => {
    await page.goto(`${s.consoleUrl}/rollouts`);
    const chips = await page.getByTestId('rollout-list').getByTestId('rollout-status').allTextContents();
    expect(chips.sort()).toEqual(['completed', 'rolled back']);
    await page.getByLabel('Status').selectOption('rolled-back');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=rolled-back/);
    expect(
      await page.locator('[data-rollout-id]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-rollout-id'))),
    ).toEqual([String(ids.get(FAILING))]);
    expect(await accessibilityViolations(page)).toEqual([]);

    const failing = await detail(ids.get(FAILING)!);
    await page.goto(`${s.consoleUrl}/rollouts/review`);
    const row = page.getByTestId('review-table').locator(`tr[data-rollout-id="${ids.get(FAILING)}"]`);
    expect((await row.locator('[data-col="reason"]').textContent())!.trim()).toBe(verdictSentence(failing));
    expect(await row.locator('[data-col="first-failure"]').textContent()).toMatch(/error-ratio|errors-vs-control/);
    expect(await row.locator('[data-col="time-to-revert"]').textContent()).toMatch(/^\d+ s$|min/);
    expect(
      await page
        .getByTestId('review-table')
        .locator(`tr[data-rollout-id="${ids.get(HEALTHY)}"]`)
        .count(),
    ).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  }, 30_000);
});
