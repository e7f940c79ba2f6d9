import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../../../../../scripts/stack/admin-client.ts';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../../../test-support/console-stack.ts';

interface ApiSegment {
  key: string;
  description?: string;
  included: string[];
  excluded: string[];
  rules: Array<{ conditions: Array<{ attribute: string; op: string; values: Array<string | number> }> }>;
  version: number;
  usedBy: string[];
}

describe('segments (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let editor: string;
  const DEV = '/projects/shop/environments/dev';
  const PROD = '/projects/shop/environments/prod';
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'prod', name: 'Production', requireApproval: true });
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

  const segment = (env: string, key: string) => s.admin.request<ApiSegment>('GET', `${env}/segments/${key}`);
  const noViolations = async (page: Page) => expect(await accessibilityViolations(page)).toEqual([]);

  it('creates a segment in the editor, edits its keys, shows where it is used, refuses deleting it in use', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, editor);
    await page.goto(`${s.consoleUrl}${DEV}/segments`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Segments');
    expect(await page.getByText('No segments in this environment yet.').count()).toBe(1);
    await noViolations(page);

    // Create: key, description, keys one per line, one rule with one condition.
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.waitForURL(`${s.consoleUrl}${DEV}/segments/new`);
    await page.getByLabel('Key', { exact: true }).fill('beta');
    await page.getByLabel('Description').fill('Beta testers');
    await page.getByLabel('Included keys').fill('u1\n  u2 \n\n');
    await page.getByLabel('Excluded keys').fill('u9');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Attribute, rule 1, condition 1').fill('plan');
    await page.getByLabel('Operator, rule 1, condition 1').selectOption('in');
    await page.getByLabel('Values, rule 1, condition 1').fill('pro\nenterprise');
    // Segment operators are not offered in a segment's rules.
    const ops = await page.getByLabel('Operator, rule 1, condition 1').locator('option').allTextContents();
    expect(ops).toContain('semverGte');
    expect(ops).not.toContain('inSegment');
    await noViolations(page);
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.waitForURL(`${s.consoleUrl}${DEV}/segments/beta?saved=1`);
    expect((await segment(DEV, 'beta')).body).toEqual({
      key: 'beta',
      description: 'Beta testers',
      included: ['u1', 'u2'],
      excluded: ['u9'],
      rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] }] }],
      version: 1,
      usedBy: [],
    });
    expect(await page.getByText('No flag in Development uses this segment.').count()).toBe(1);
    await noViolations(page);

    // Edit the included keys: version 2.
    await page.getByLabel('Included keys').fill('u1\nu2\nu3');
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.waitForURL(`${s.consoleUrl}${DEV}/segments/beta?saved=2`);
    expect(await page.getByTestId('segment-version').textContent()).toBe('Version 2');
    expect(await page.getByLabel('Included keys').inputValue()).toBe('u1\nu2\nu3');
    expect((await segment(DEV, 'beta')).body).toMatchObject({ included: ['u1', 'u2', 'u3'], version: 2 });

    // A problem the API finds is shown at its field: a numeric comparison with a value that is no number.
    await page.getByLabel('Operator, rule 1, condition 1').selectOption('gt');
    await page.getByLabel('Values, rule 1, condition 1').fill('lots');
    await page.getByRole('button', { name: 'Save segment' }).click();
    const values = page.getByLabel('Values, rule 1, condition 1');
    await expect.poll(() => values.getAttribute('aria-invalid')).toBe('true');
    const describedBy = await values.getAttribute('aria-describedby');
    expect(await page.locator(`#${describedBy}`).textContent()).toContain('rules[0].conditions[0].values[0]');
    expect((await segment(DEV, 'beta')).body.version).toBe(2);
    await noViolations(page);

    // Someone else saves meanwhile: "changed meanwhile", with a reload link; nothing saved.
    await page.getByLabel('Operator, rule 1, condition 1').selectOption('in');
    await page.getByLabel('Values, rule 1, condition 1').fill('pro');
    // (GET's answer, usedBy included, goes back as is.)
    await s.admin.ok('PUT', `${DEV}/segments/beta`, { ...(await segment(DEV, 'beta')).body, included: ['u1'] });
    await page.getByRole('button', { name: 'Save segment' }).click();
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'changed meanwhile' }).textContent())
      .toContain('it is at version 3; you edited version 2');
    await page.getByRole('link', { name: 'Reload the segment' }).click();
    await page.waitForURL(`${s.consoleUrl}${DEV}/segments/beta`);
    expect(await page.getByLabel('Included keys').inputValue()).toBe('u1');

    // A flag uses it: the list and the editor say so, with a link to the flag's editor.
    await s.admin.ok('PUT', `${DEV}/flags/checkout`, {
      enabled: true,
      offVariant: 'off',
      prerequisites: [],
      targets: [],
      rules: [{ conditions: [{ attribute: '', op: 'inSegment', values: ['beta'] }], serve: { variant: 'on' } }],
      defaultRule: { variant: 'off' },
      version: 1,
    });
    await page.goto(`${s.consoleUrl}${DEV}/segments`);
    const row = page.locator('tr[data-segment="beta"]');
    expect(await row.locator('[data-col="included"]').textContent()).toBe('1');
    expect(await row.locator('[data-col="excluded"]').textContent()).toBe('1');
    expect(await row.locator('[data-col="rules"]').textContent()).toBe('1');
    const used = row.locator('[data-col="used-by"]').getByRole('link', { name: 'checkout' });
    expect(await used.getAttribute('href')).toBe(`${DEV}/flags/checkout`);
    await noViolations(page);

    // Deleting it is refused while in use: the API's message, and the segment stays.
    await page.goto(`${s.consoleUrl}${DEV}/segments/beta`);
    await page.getByRole('button', { name: 'Delete segment' }).click();
    const dialog = page.getByRole('alertdialog');
    await noViolations(page);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect
      .poll(() => dialog.getByRole('alert').textContent())
      .toBe('segment beta is used by flags: checkout (409 SEGMENT_IN_USE)');
    expect((await segment(DEV, 'beta')).status).toBe(200);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Unused, it can be deleted.
    await s.admin.ok('POST', `${DEV}/segments`, { key: 'old', included: ['x'] });
    await page.goto(`${s.consoleUrl}${DEV}/segments/old`);
    await page.getByRole('button', { name: 'Delete segment' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`${s.consoleUrl}${DEV}/segments?deleted=old`);
    expect((await segment(DEV, 'old')).status).toBe(404);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('in an approval-required environment, saving files a segment change request and links to it', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, editor);
    await page.goto(`${s.consoleUrl}${PROD}/segments/new`);
    await page.getByLabel('Key', { exact: true }).fill('vip');
    await page.getByLabel('Included keys').fill('u7');
    await page.getByLabel('Comment for the change request').fill('vips first');
    await noViolations(page);
    await page.getByRole('button', { name: 'File change request' }).click();
    const link = page.getByRole('link', { name: /^Open change request/ });
    await link.waitFor();
    const href = await link.getAttribute('href');
    const id = /change-requests\/(\d+)$/.exec(href ?? '')?.[1];
    expect(id).toBeDefined();
    // Nothing is created yet; the request is pending with the proposal.
    expect((await segment(PROD, 'vip')).status).toBe(404);
    const cr = await new AdminClient(s.stack.apiUrl, editor).ok<Record<string, unknown>>(
      'GET',
      `${PROD}/change-requests/${id}`,
    );
    expect(cr).toMatchObject({
      kind: 'segment',
      status: 'pending',
      baseVersion: 0,
      comment: 'vips first',
      author: { owner: 'erin@example.com' },
      segment: { action: 'create', key: 'vip', segment: { key: 'vip', included: ['u7'], excluded: [], rules: [] } },
    });
    await link.click();
    await page.waitForURL(`${s.consoleUrl}${PROD}/change-requests/${id}`);
    expect(await page.getByTestId('cr-status').textContent()).toContain('pending');
    // Base and proposal: from nothing (version 0, not stale) to the proposed segment.
    expect(await page.getByTestId('stale-base').count()).toBe(0);
    const diff = page.getByRole('table', { name: /segment vip: current \(version 0\)/ });
    expect(await diff.textContent()).toContain('"included":["u7"]');
    await noViolations(page);

    // A viewer sees the editor with its controls disabled, and why.
    const viewer = await s.mintKey({ name: 'tablet', owner: 'vera@example.com', role: 'viewer' });
    await signIn(page, s.consoleUrl, viewer);
    await page.goto(`${s.consoleUrl}${DEV}/segments`);
    expect(await page.getByRole('link', { name: 'New segment' }).count()).toBe(0);
    await page.goto(`${s.consoleUrl}${DEV}/segments/beta`);
    expect(await page.getByRole('button', { name: 'Save segment' }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Included keys').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Delete segment' }).isDisabled()).toBe(true);
    expect(await page.locator('#seg-disabled-reason').textContent()).toBe(
      'Your key (viewer) cannot change segments in shop.dev.',
    );
    await noViolations(page);
    expect(errors).toEqual([]);
    await page.close();
  });
});
