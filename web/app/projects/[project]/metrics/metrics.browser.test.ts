import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../test-support/console-stack.ts';

interface ApiMetric {
  key: string;
  name: string;
  kind: string;
  version?: number;
  readOnly: boolean;
  [field: string]: unknown;
}
interface AuditRow {
  action: string;
  entityType: string;
  entityKey: string;
  actor: { owner?: string };
}

const LABELS = 'flag="{{flag}}",variant="{{variant}}",environment="{{environment}}"';
const NUMERATOR = `sum(increase(app_checkouts_total{${LABELS}}[{{window}}]))`;
const DENOMINATOR = `sum(increase(evaluator_exposures_total{${LABELS}}[{{window}}]))`;
const QUERY = `histogram_quantile(0.95, sum by (le) (rate(app_latency_bucket{${LABELS}}[{{window}}])))`;
// startConsoleStack runs the controller in the repository root: it loads policies/ (standard.yaml and others).
const POLICY_METRIC = 'policy:standard:error-ratio';

describe('metric definitions (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let editor: string;
  const M = '/projects/shop/metrics';
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'checkout',
      type: 'boolean',
      variants: { on: true, off: false },
    });
    editor = await s.mintKey({ name: 'laptop', owner: 'erin@example.com', role: 'editor' });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const metric = (key: string) => s.admin.request<ApiMetric>('GET', `${M}/${encodeURIComponent(key)}`);
  const auditOf = async (action: string) =>
    (await s.admin.ok<{ items: AuditRow[] }>('GET', `/audit?project=shop&action=${action}`)).items;
  const noViolations = async (page: Page) => expect(await accessibilityViolations(page)).toEqual([]);

  it('creates a ratio definition through the form, shows a bad template at its field, edits it, reports a stale edit, deletes it', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, editor);
    await page.goto(`${s.consoleUrl}/projects`);
    await page.getByRole('link', { name: 'Metrics', exact: true }).click();
    await page.waitForURL(`${s.consoleUrl}${M}`);
    // The policies' metrics are listed, read-only.
    const policyRow = page.locator(`tr[data-metric="${POLICY_METRIC}"]`);
    expect(await policyRow.locator('[data-col="source"]').textContent()).toBe('policy:standard read-only');
    await noViolations(page);

    await page.getByRole('link', { name: 'New metric' }).click();
    await page.waitForURL(`${s.consoleUrl}${M}/new`);
    // The placeholders are explained, with a worked example.
    const help = page.locator('#metric-template-help');
    for (const p of ['{{flag}}', '{{variant}}', '{{environment}}', '{{window}}', 'evaluator_exposures_total'])
      expect(await help.textContent()).toContain(p);
    await page.getByLabel('Key', { exact: true }).fill('conversion');
    await page.getByLabel('Name').fill('Checkout conversion');
    await page.getByLabel('Description').fill('Checkouts per exposure');
    await page.getByLabel('Unit').fill('%');
    await page.getByLabel('Flags').fill('checkout');
    expect(await page.getByLabel('Query').count()).toBe(0);
    // A placeholder the API does not know: its problem is shown at the numerator, nothing is created.
    await page.getByLabel('Numerator').fill(NUMERATOR.replace('{{flag}}', '{{team}}'));
    await page.getByLabel('Denominator').fill(DENOMINATOR);
    await noViolations(page);
    await page.getByRole('button', { name: 'Create metric' }).click();
    const numerator = page.getByLabel('Numerator');
    await expect.poll(() => numerator.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#metric-numerator-error').textContent()).toContain(
      'numerator: unknown placeholder {{team}}',
    );
    expect((await numerator.getAttribute('aria-describedby'))?.split(' ')).toContain('metric-numerator-error');
    expect(await page.getByLabel('Denominator').getAttribute('aria-invalid')).toBeNull();
    expect((await metric('conversion')).status).toBe(404);
    await noViolations(page);

    await numerator.fill(NUMERATOR);
    await page.getByRole('button', { name: 'Create metric' }).click();
    await page.waitForURL(`${s.consoleUrl}${M}/conversion?saved=1`);
    expect((await metric('conversion')).body).toMatchObject({
      key: 'conversion',
      name: 'Checkout conversion',
      description: 'Checkouts per exposure',
      kind: 'ratio',
      better: 'higher',
      unit: '%',
      flags: ['checkout'],
      numerator: NUMERATOR,
      denominator: DENOMINATOR,
      source: 'project',
      readOnly: false,
      version: 1,
    });
    const created = await auditOf('metric.create');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      entityType: 'metric',
      entityKey: 'conversion',
      actor: { owner: 'erin@example.com' },
    });
    expect(await page.getByTestId('metric-version').textContent()).toBe('Version 1');
    await noViolations(page);

    // Edit: switch to a quantile (the query replaces the two counts), lower is better, every flag.
    await page.getByLabel('Kind').selectOption('quantile');
    expect(await page.getByLabel('Numerator').count()).toBe(0);
    await page.getByLabel('Query').fill(QUERY);
    await page.getByLabel('Better').selectOption('lower');
    await page.getByLabel('Unit').fill('ms');
    await page.getByLabel('Flags').fill('');
    await page.getByRole('button', { name: 'Save metric' }).click();
    await page.waitForURL(`${s.consoleUrl}${M}/conversion?saved=2`);
    const edited = (await metric('conversion')).body;
    expect(edited).toMatchObject({ kind: 'quantile', better: 'lower', unit: 'ms', query: QUERY, version: 2 });
    expect(edited).not.toHaveProperty('numerator');
    expect(edited).not.toHaveProperty('flags');
    expect(await page.getByLabel('Query').inputValue()).toBe(QUERY);
    expect((await auditOf('metric.update')).map((r) => r.entityKey)).toEqual(['conversion']);

    // Someone else saves meanwhile: "changed meanwhile" with the versions and a reload link; nothing saved.
    await s.admin.ok('PUT', `${M}/conversion`, { ...edited, name: 'Latency p95' });
    await page.getByLabel('Name').fill('Mine');
    await page.getByRole('button', { name: 'Save metric' }).click();
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'changed meanwhile' }).textContent())
      .toContain('it is at version 3; you edited version 2');
    expect((await metric('conversion')).body).toMatchObject({ name: 'Latency p95', version: 3 });
    await noViolations(page);
    await page.getByRole('link', { name: 'Reload the definition' }).click();
    await page.waitForURL(`${s.consoleUrl}${M}/conversion`);
    expect(await page.getByLabel('Name').inputValue()).toBe('Latency p95');

    // The list shows it.
    await page.goto(`${s.consoleUrl}${M}`);
    const row = page.locator('tr[data-metric="conversion"]');
    expect(await row.locator('[data-col="kind"]').textContent()).toBe('quantile');
    expect(await row.locator('[data-col="better"]').textContent()).toBe('lower');
    expect(await row.locator('[data-col="flags"]').textContent()).toBe('every flag');
    expect(await row.locator('[data-col="source"]').textContent()).toBe('project');

    // Delete through the dialog.
    await page.goto(`${s.consoleUrl}${M}/conversion`);
    await page.getByRole('button', { name: 'Delete metric' }).click();
    const dialog = page.getByRole('alertdialog');
    await noViolations(page);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`${s.consoleUrl}${M}?deleted=conversion`);
    expect((await metric('conversion')).status).toBe(404);
    expect((await auditOf('metric.delete')).map((r) => r.entityKey)).toEqual(['conversion']);
    expect(await page.getByRole('status').textContent()).toBe('Metric conversion deleted.');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('gives viewers and environment-limited editors no enabled edit control; shows policy metrics read-only', async () => {
    await s.admin.ok('POST', M, {
      key: 'signups',
      name: 'Signups',
      kind: 'ratio',
      better: 'higher',
      numerator: NUMERATOR,
      denominator: DENOMINATOR,
    });
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    const viewer = await s.mintKey({ name: 'tablet', owner: 'vera@example.com', role: 'viewer' });
    const limited = await s.mintKey({
      name: 'dev-only',
      owner: 'lee@example.com',
      role: 'editor',
      environments: ['shop.dev'],
    });
    for (const [token, reason] of [
      [viewer, 'Your key (viewer) cannot change metric definitions (an editor key without an environment list can).'],
      [
        limited,
        'Your key is limited to shop.dev: metric definitions are project-wide and need a key without an environment list.',
      ],
    ] as const) {
      await signIn(page, s.consoleUrl, token);
      await page.goto(`${s.consoleUrl}${M}`);
      expect(await page.getByRole('link', { name: 'New metric' }).count()).toBe(0);
      expect(await page.getByText(reason).count()).toBe(1);
      await page.goto(`${s.consoleUrl}${M}/signups`);
      await page.getByRole('button', { name: 'Save metric' }).waitFor();
      expect(await page.getByRole('button', { name: 'Save metric' }).isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Delete metric' }).isDisabled()).toBe(true);
      for (const label of ['Name', 'Description', 'Kind', 'Better', 'Unit', 'Flags', 'Numerator', 'Denominator'])
        expect(await page.getByLabel(label, { exact: true }).isDisabled()).toBe(true);
      expect(await page.locator('#metric-disabled-reason').textContent()).toBe(reason);
      await noViolations(page);
      await page.goto(`${s.consoleUrl}${M}/new`);
      expect(await page.getByRole('button', { name: 'Create metric' }).isDisabled()).toBe(true);
    }

    // A policy's metric, even for the editor: what it measures, and no control (the API would refuse).
    await signIn(page, s.consoleUrl, editor);
    await page.goto(`${s.consoleUrl}${M}`);
    await page.locator(`tr[data-metric="${POLICY_METRIC}"]`).getByRole('link').click();
    await page.waitForURL(`${s.consoleUrl}${M}/${encodeURIComponent(POLICY_METRIC)}`);
    expect(await page.getByTestId('metric-read-only').textContent()).toContain('ramp policy standard');
    const policyMetric = (await metric(POLICY_METRIC)).body;
    expect(policyMetric).toMatchObject({ readOnly: true, source: 'policy:standard', kind: 'quantile' });
    expect(await page.getByRole('region', { name: 'Query' }).locator('pre').textContent()).toBe(policyMetric.query);
    expect(
      await page
        .getByRole('button')
        .filter({ hasText: /Save|Delete/ })
        .count(),
    ).toBe(0);
    expect(await page.getByRole('textbox').count()).toBe(0);
    await noViolations(page);
    expect(errors).toEqual([]);
    await page.close();
  });
});
