import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../test-support/console-stack.ts';

const XSS = '<img src=x onerror=alert(1)>';
const off = {
  enabled: false,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
};

/** 120 generated flags (every 10th tagged team-a, every 4th about checkout), a split flag and one with markup. */
function importDocument() {
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < 120; i++) {
    flags[`gen-${String(i).padStart(3, '0')}`] = {
      type: 'boolean',
      variants: { on: true, off: false },
      description: i % 4 === 0 ? `Checkout step ${i}` : `Generated flag ${i}`,
      tags: i % 10 === 0 ? ['team-a'] : ['team-b'],
      config: off,
    };
  }
  flags['split-flag'] = {
    type: 'boolean',
    variants: { on: true, off: false },
    description: 'Thirty percent get it',
    config: {
      ...off,
      enabled: true,
      defaultRule: {
        split: [
          { variant: 'on', weight: 30_000 },
          { variant: 'off', weight: 70_000 },
        ],
      },
    },
  };
  flags['xss-flag'] = { type: 'boolean', variants: { on: true, off: false }, description: XSS, config: off };
  return { format: 'flagship/v1', environment: 'shop.dev', flags, segments: {} };
}

describe('flags list (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  const base = () => `${s.consoleUrl}/projects/shop/flags`;
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'prod', name: 'Production' });
    await s.admin.ok('POST', '/projects/shop/environments/dev/import?dryRun=false', importDocument());
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const rowKeys = (page: Page) => page.locator('tbody tr th[scope="row"]').allTextContents();
  const search = async (page: Page, fields: { q?: string; tag?: string }) => {
    await page.getByLabel('Search key or description').fill(fields.q ?? '');
    await page.getByLabel('Tag', { exact: true }).fill(fields.tag ?? '');
    await page.getByLabel('Tag', { exact: true }).press('Enter');
    await page.waitForLoadState('load');
  };

  it('lists 50 flags a page with a summary per environment; search, tag filter, paging; markup stays text', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors = collectPageErrors(page);
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await signIn(page, s.consoleUrl, s.adminToken);
    await page.goto(base());
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Flags of Shop');
    const first = await rowKeys(page);
    expect(first).toHaveLength(50);
    expect(first[0]).toBe('gen-000');
    expect(first[49]).toBe('gen-049');
    expect(await page.getByRole('columnheader').allTextContents()).toEqual(
      expect.arrayContaining(['Development', 'Production']),
    );
    expect(await accessibilityViolations(page)).toEqual([]);

    // Next page: the next 50 by key; "First page" goes back.
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=gen-049/);
    const second = await rowKeys(page);
    expect(second).toHaveLength(50);
    expect(second[0]).toBe('gen-050');
    expect(second[49]).toBe('gen-099');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=gen-099/);
    expect(await rowKeys(page)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `gen-${100 + i}`),
      'split-flag',
      'xss-flag',
    ]);
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
    await page.getByRole('link', { name: 'First page' }).click();
    await page.waitForURL(base());
    expect((await rowKeys(page))[0]).toBe('gen-000');

    // Search by key, with the keyboard (Enter submits the GET form).
    await search(page, { q: 'split' });
    expect(page.url()).toContain('q=split');
    expect(await rowKeys(page)).toEqual(['split-flag']);
    const dev = page.getByTestId('cell-split-flag-dev');
    expect(await dev.locator('.badge').textContent()).toBe('on');
    expect(await dev.textContent()).toContain('30% on / 70% off');
    expect(await dev.getByRole('link').getAttribute('href')).toBe('/projects/shop/environments/dev/flags/split-flag');
    // Import writes only dev's config: prod still has the created-off default.
    expect(await page.getByTestId('cell-split-flag-prod').textContent()).toContain('off (serves on)');

    // Search by description, case-insensitively: every 4th generated flag, 30 of them.
    await search(page, { q: 'CHECKOUT' });
    const checkout = await rowKeys(page);
    expect(checkout).toHaveLength(30);
    expect(checkout.slice(0, 3)).toEqual(['gen-000', 'gen-004', 'gen-008']);

    // Tag filter (with the search): gen-000, 020, 040, … are both team-a and about checkout.
    await search(page, { q: 'checkout', tag: 'team-a' });
    expect(await rowKeys(page)).toEqual(['gen-000', 'gen-020', 'gen-040', 'gen-060', 'gen-080', 'gen-100']);
    await search(page, { tag: 'team-a' });
    expect(await rowKeys(page)).toHaveLength(12);
    expect(await accessibilityViolations(page)).toEqual([]);

    // ?env= puts that environment first.
    await page.goto(`${base()}?env=prod&q=xss`);
    const headers = await page.getByRole('columnheader').allTextContents();
    expect(headers[4]).toContain('Production');
    expect(headers[5]).toContain('Development');
    // A description with markup is text, not an element; no script ran.
    const row = page.locator('tr[data-flag="xss-flag"]');
    expect(await row.locator('td').first().textContent()).toBe(XSS);
    expect(await row.locator('img').count()).toBe(0);
    expect(dialogs).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('creates a flag through the form and opens its editor; a duplicate key shows the API refusal', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, s.consoleUrl, s.adminToken);
    await page.goto(base());
    await page.getByLabel('Key', { exact: true }).fill('banner-color');
    await page.getByLabel('Description', { exact: true }).fill('Colour of the banner');
    await page.getByLabel('Tags (comma separated)').fill('ui, web');
    await page.getByLabel('Type').selectOption('string');
    await page.getByLabel('Variant 1 name').fill('blue');
    await page.getByLabel('Variant 1 value').fill('#00f');
    await page.getByLabel('Variant 2 name').fill('red');
    await page.getByLabel('Variant 2 value').fill('#f00');
    await page.getByRole('button', { name: 'Add variant' }).click();
    await page.getByLabel('Variant 3 name').fill('green');
    await page.getByLabel('Variant 3 value').fill('#0f0');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Create flag' }).click();
    await page.waitForURL(`${s.consoleUrl}/projects/shop/environments/dev/flags/banner-color`);
    const created = await s.admin.ok<Record<string, unknown>>('GET', '/projects/shop/flags/banner-color');
    expect(created).toMatchObject({
      key: 'banner-color',
      type: 'string',
      description: 'Colour of the banner',
      tags: ['ui', 'web'],
      variants: { blue: '#00f', red: '#f00', green: '#0f0' },
    });

    // The same key again: the API's 409 in the error panel, the form keeps what was typed.
    await page.goto(base());
    await page.getByLabel('Key', { exact: true }).fill('banner-color');
    await page.getByRole('button', { name: 'Create flag' }).click();
    const alert = page.locator('.error-panel');
    await expect.poll(() => alert.textContent()).toContain('409');
    expect(await alert.textContent()).toContain('already exists');
    expect(await page.getByLabel('Key', { exact: true }).inputValue()).toBe('banner-color');
    // A number flag with a value that is not a number: the form says so before asking the API.
    await page.getByLabel('Key', { exact: true }).fill('limit');
    await page.getByLabel('Type').selectOption('number');
    await page.getByLabel('Variant 1 name').fill('low');
    await page.getByLabel('Variant 1 value').fill('ten');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('variants.low');
    expect((await s.admin.request('GET', '/projects/shop/flags/limit')).status).toBe(404);
    expect(await accessibilityViolations(page)).toEqual([]);
    await ctx.close();
  });

  it('shows an active rollout with its current weight, and paused when paused', async () => {
    const C = '/projects/shop/environments/prod/flags/gen-001';
    const current = await s.admin.ok<{ version: number }>('GET', C);
    await s.admin.ok('PUT', C, { ...off, enabled: true, defaultRule: { variant: 'off' }, version: current.version });
    const started = await s.admin.ok<{ id: number; weightPercent: number; status: string; version: number }>(
      'POST',
      `${C}/rollouts`,
      { policy: 'standard', treatment: 'on', control: 'off' },
    );
    expect(started.status).toBe('running');
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, s.consoleUrl, s.adminToken);
    await page.goto(`${base()}?q=gen-001`);
    const cell = page.getByTestId('cell-gen-001-prod');
    expect(await cell.textContent()).toContain(`rolling out: ${started.weightPercent}%`);
    expect(await page.getByTestId('cell-gen-001-dev').textContent()).toContain('off (serves off)');
    await s.admin.ok('POST', `/rollouts/${started.id}/pause`, { reason: 'look first' });
    await page.reload();
    expect(await cell.textContent()).toContain(`rolling out: ${started.weightPercent}% (paused)`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await ctx.close();
  });

  it('shows the create form disabled to a viewer and to a key limited to an environment', async () => {
    for (const [role, environments, why] of [
      ['viewer', null, 'needs the editor role'],
      ['editor', ['shop.dev'], 'not limited to environments'],
    ] as const) {
      const token = await s.mintKey({
        name: `${role}-key`,
        owner: `${role}@example.com`,
        role,
        environments: environments && [...environments],
      });
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await signIn(page, s.consoleUrl, token);
      await page.goto(`${base()}?q=split`);
      expect(await page.getByRole('button', { name: 'Create flag' }).isDisabled()).toBe(true);
      expect(await page.getByLabel('Key', { exact: true }).isDisabled()).toBe(true);
      expect(await page.locator('main').textContent()).toContain(why);
      // The limited key sees only its environment's column.
      const headers = await page.getByRole('columnheader').allTextContents();
      expect(headers.some((h) => h.includes('Production'))).toBe(environments === null);
      expect(await page.getByTestId('cell-split-flag-dev').textContent()).toContain('30% on / 70% off');
      expect(await accessibilityViolations(page)).toEqual([]);
      await ctx.close();
    }
  });
});
