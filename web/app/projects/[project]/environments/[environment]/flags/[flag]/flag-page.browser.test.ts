import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  collectPageErrors,
  launchChromium,
  signIn,
} from '../../../../../../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../../../../../../test-support/console-stack.ts';

const pace = () => new Promise((r) => setTimeout(r, 150));

interface Config {
  enabled: boolean;
  offVariant: string;
  prerequisites: unknown[];
  targets: Array<{ variant: string; values: string[] }>;
  rules: unknown[];
  defaultRule: { variant: string } | { split: Array<{ variant: string; weight: number }> };
  version: number;
}

const config = (over: Partial<Config> = {}) => ({
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'a' },
  ...over,
});

describe('the flag page (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let editor: BrowserContext;
  let editorPage: Page;
  let sdkKey: string;
  const url = (env: string, flag = 'banner') => `${s.consoleUrl}/projects/shop/environments/${env}/flags/${flag}`;
  const apiConfig = (env: string) => s.admin.ok<Config>('GET', `/projects/shop/environments/${env}/flags/banner`);

  const defaultRule = (page: Page) => page.getByRole('group', { name: 'Default rule serves' });
  const defaultVariant = (page: Page) => defaultRule(page).getByLabel('Default rule serves: variant');

  async function ofrep(flag: string): Promise<{ status: number; value?: unknown; variant?: string }> {
    const r = await fetch(`${s.stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/${flag}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
    });
    const body = (await r.json().catch(() => ({}))) as { value?: unknown; variant?: string };
    return { status: r.status, ...body };
  }

  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await pace();
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'prod', name: 'Production', requireApproval: true });
    await pace();
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'banner',
      type: 'string',
      description: 'The <b>home</b> banner',
      variants: { off: 'none', a: 'A', b: 'B' },
    });
    await pace();
    sdkKey = await s.mintKey({ name: 'dev sdk', owner: 'web team', role: 'sdk', environments: ['shop.dev'] });
    const token = await s.mintKey({ name: 'laptop', owner: 'eddie@example.com', role: 'editor' });
    editor = await browser.newContext();
    editorPage = await editor.newPage();
    await signIn(editorPage, s.consoleUrl, token);
  }, 240_000);
  afterAll(async () => {
    await editor?.close();
    await browser?.close();
    await s?.stop();
  });

  it('saves a change with If-Match; the API serves it and the evaluator answers it', async () => {
    const page = editorPage;
    const errors = collectPageErrors(page);
    await page.goto(url('dev'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('banner in Development');
    // The description is text, not markup.
    expect(await page.getByTestId('flag-description').textContent()).toBe('The <b>home</b> banner');
    expect(await page.getByTestId('approval-badge').textContent()).toBe('direct changes');
    expect(await page.getByRole('link', { name: 'History' }).getAttribute('href')).toBe(
      '/projects/shop/environments/dev/flags/banner/history',
    );
    const save = page.getByRole('button', { name: 'Save', exact: true });
    expect(await save.isDisabled()).toBe(true); // nothing changed yet
    expect(await page.getByRole('button', { name: 'Discard changes' }).isDisabled()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect((await ofrep('banner')).value).toBe('none'); // created off

    await page.getByLabel('Enabled in Development').check();
    await defaultVariant(page).selectOption('a');
    await expect.poll(() => save.isEnabled()).toBe(true);
    expect(await page.getByTestId('base-version').textContent()).toContain('2 unsaved changes');
    await save.click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Saved (version 2).');
    expect(await page.getByTestId('base-version').textContent()).toContain('Editing version 2');
    expect(await save.isDisabled()).toBe(true);
    const served = await apiConfig('dev');
    expect(served).toMatchObject({ version: 2, enabled: true, defaultRule: { variant: 'a' } });
    await expect.poll(async () => (await ofrep('banner')).value, { timeout: 10_000, interval: 200 }).toBe('A');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a stale save shows what changed meanwhile, reapplies the edit on top, then saves', async () => {
    const page = editorPage;
    await page.goto(url('dev'));
    expect(await page.getByTestId('base-version').textContent()).toContain('Editing version 2');
    await defaultVariant(page).selectOption('b');
    // Someone else saves version 3 meanwhile: a target for vip.
    await s.admin.ok('PUT', '/projects/shop/environments/dev/flags/banner', {
      ...config({ targets: [{ variant: 'a', values: ['vip'] }] }),
      version: 2,
    });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByTestId('conflict');
    await conflict.waitFor();
    const meanwhile = page.getByRole('table', { name: /Changed meanwhile/ });
    expect(await meanwhile.getByRole('cell', { name: '/targets/0' }).count()).toBe(1);
    expect(await meanwhile.textContent()).toContain('vip');
    const mine = page.getByRole('table', { name: /Your edit/ });
    expect(await mine.getByRole('cell', { name: '/defaultRule/variant' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect((await apiConfig('dev')).version).toBe(3); // nothing of the stale save was written

    await page.getByRole('button', { name: 'Reapply my edit on top' }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toContain('reapplied on version 3');
    expect(await page.getByTestId('base-version').textContent()).toContain('Editing version 3');
    // The draft now holds their target and my default variant.
    expect(await page.getByLabel('Context keys served a').inputValue()).toBe('vip');
    expect(await defaultVariant(page).inputValue()).toBe('b');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Saved (version 4).');
    expect(await apiConfig('dev')).toMatchObject({
      version: 4,
      targets: [{ variant: 'a', values: ['vip'] }],
      defaultRule: { variant: 'b' },
    });
    await expect.poll(async () => (await ofrep('banner')).value, { timeout: 10_000, interval: 200 }).toBe('B');
  });

  it("shows the API's validation problems at the fields, and saves nothing", async () => {
    const page = editorPage;
    await page.goto(url('dev'));
    await defaultRule(page).getByLabel('A percentage split').check();
    await defaultRule(page).getByLabel('Slice 2 percent').fill('40');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('invalid-summary').waitFor();
    // The API's problem, at the split it names.
    const problem = page.locator('[id="field-defaultRule.split-problem"]');
    expect(await problem.textContent()).toContain('weights sum to 90000, expected 100000');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect((await apiConfig('dev')).version).toBe(4);
    // Discard brings back the saved version.
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(await defaultVariant(page).inputValue()).toBe('b');
    expect(await page.getByTestId('invalid-summary').count()).toBe(0);
  });

  it('in an approval-required environment, saving files a change request with a comment', async () => {
    const page = editorPage;
    await page.goto(url('prod'));
    expect(await page.getByTestId('approval-badge').textContent()).toBe('changes need approval');
    expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
    const file = page.getByRole('button', { name: 'File change request' });
    expect(await file.isDisabled()).toBe(true);
    await page.getByLabel('Enabled in Production').check();
    await defaultVariant(page).selectOption('b');
    await page.getByLabel('Comment for the approver').fill('launch B in prod');
    await file.click();
    const link = page.getByTestId('save-status').getByRole('link');
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    const id = /\/change-requests\/([^/]+)$/.exec(href)?.[1];
    expect(href).toBe(`/projects/shop/environments/prod/change-requests/${id}`);
    const cr = await s.admin.ok<{ status: string; config: Config; baseVersion: number }>(
      'GET',
      `/projects/shop/environments/prod/change-requests/${id}`,
    );
    expect(cr).toMatchObject({
      status: 'pending',
      baseVersion: 1,
      config: { enabled: true, defaultRule: { variant: 'b' } },
    });
    expect(JSON.stringify(cr)).toContain('launch B in prod');
    expect((await apiConfig('prod')).version).toBe(1); // not applied until approved
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('a viewer sees everything disabled; a key without this environment gets the refusal', async () => {
    const viewer = await s.mintKey({ name: 'k-viewer', owner: 'vera@example.com', role: 'viewer' });
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, s.consoleUrl, viewer);
    await page.goto(url('dev'));
    expect(await page.getByTestId('read-only').textContent()).toContain('read-only');
    expect(await page.getByLabel('Enabled in Development').isDisabled()).toBe(true);
    expect(await defaultVariant(page).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Add a rule' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Discard changes' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Turn off (kill switch)' }).isDisabled()).toBe(true);
    // The page still shows the config it cannot change.
    expect(await defaultVariant(page).inputValue()).toBe('b');
    expect(await accessibilityViolations(page)).toEqual([]);
    await ctx.close();

    const devOnly = await s.mintKey({
      name: 'k-dev',
      owner: 'dora@example.com',
      role: 'editor',
      environments: ['shop.dev'],
    });
    const ctx2 = await browser.newContext();
    const page2 = await ctx2.newPage();
    await signIn(page2, s.consoleUrl, devOnly);
    await page2.goto(url('prod'));
    const alert = await page2.getByRole('alert').first().textContent();
    expect(alert).toContain('Not allowed');
    expect(alert).toContain('ENVIRONMENT_FORBIDDEN');
    expect(await page2.getByRole('button', { name: 'File change request' }).count()).toBe(0);
    expect(await accessibilityViolations(page2)).toEqual([]);
    await ctx2.close();
  });

  it('a kill through the kill switch replaces a draft nobody edited', async () => {
    const page = editorPage;
    await page.goto(url('dev'));
    expect(await page.getByLabel('Enabled in Development').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Turn off (kill switch)' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByLabel('Reason').fill('incident 4711');
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await expect.poll(() => page.getByLabel('Enabled in Development').isChecked(), { timeout: 10_000 }).toBe(false);
    expect(await page.getByTestId('base-version').textContent()).toContain('Editing version 5');
    expect((await apiConfig('dev')).enabled).toBe(false);
  });

  it('answers an unknown flag with the API error', async () => {
    const page = editorPage;
    await page.goto(url('dev', 'no-such-flag'));
    expect(await page.getByRole('alert').first().textContent()).toContain('Not found');
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
  });
});
