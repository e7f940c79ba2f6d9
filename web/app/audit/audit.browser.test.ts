import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../scripts/stack/admin-client.ts';
import { accessibilityViolations, collectPageErrors, launchChromium, signIn } from '../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../test-support/console-stack.ts';

interface ApiAuditPage {
  items: Array<{ id: string; action: string; diff: unknown[] }>;
  nextCursor: string | null;
}

/** The diff rows of an entry as text: [path, old, new]. */
const diffRows = (entry: Locator) =>
  entry
    .locator('table.diff tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));

const sorted = (rows: string[][]) => [...rows].sort((a, b) => a[0]!.localeCompare(b[0]!));

describe('audit log, history tab and kill switch (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let adminToken: string;
  let editorToken: string;
  let editorKeyId: string;
  let sdkKey: string;
  const pace = () => new Promise((r) => setTimeout(r, 60));

  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    await s.admin.ok('POST', '/projects/shop/environments', {
      key: 'prod',
      name: 'Production',
      requireApproval: true,
    });
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'checkout',
      type: 'boolean',
      variants: { off: false, on: true },
    });
    await s.admin.ok('POST', '/projects/shop/flags', {
      key: 'banner',
      type: 'boolean',
      variants: { off: false, on: true },
    });
    adminToken = await s.mintKey({ name: 'ada laptop', owner: 'ada@example.com', role: 'admin' });
    editorToken = await s.mintKey({ name: 'erin laptop', owner: 'erin@example.com', role: 'editor' });
    sdkKey = await s.mintKey({ name: 'web sdk', owner: 'web team', role: 'sdk', environments: ['shop.prod'] });
    const keys = await s.admin.ok<{ items: Array<{ id: string; name: string }> }>('GET', '/api-keys');
    editorKeyId = keys.items.find((k) => k.name === 'erin laptop')!.id;
    const ada = new AdminClient(s.stack.apiUrl, adminToken);
    const erin = new AdminClient(s.stack.apiUrl, editorToken);
    // dev: a direct change by ada.
    const dev = await ada.ok<{ version: number }>('GET', '/projects/shop/environments/dev/flags/checkout');
    await ada.putConfig('shop', 'dev', 'checkout', dev.version, { enabled: true, defaultRule: { variant: 'on' } });
    // prod: on through a change request erin files and ada approves.
    const prod = await ada.ok<{ version: number }>('GET', '/projects/shop/environments/prod/flags/checkout');
    const cr = await erin.ok<{ id: string | number }>('POST', '/projects/shop/environments/prod/change-requests', {
      flag: 'checkout',
      baseVersion: prod.version,
      comment: 'launch',
      config: {
        enabled: true,
        offVariant: 'off',
        prerequisites: [],
        targets: [],
        rules: [],
        defaultRule: { variant: 'on' },
      },
    });
    await ada.ok('POST', `/projects/shop/environments/prod/change-requests/${cr.id}/approve`, { comment: 'lgtm' });
    // banner: 55 changes in dev, more than a page.
    let version = (await ada.ok<{ version: number }>('GET', '/projects/shop/environments/dev/flags/banner')).version;
    for (let i = 0; i < 55; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          version = (
            await ada.putConfig('shop', 'dev', 'banner', version, {
              enabled: i % 2 === 0,
              defaultRule: { variant: i % 2 === 0 ? 'on' : 'off' },
            })
          ).version;
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 300));
          version = (await ada.ok<{ version: number }>('GET', '/projects/shop/environments/dev/flags/banner')).version;
        }
      }
      await pace();
    }
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const noViolations = async (page: Page) => expect(await accessibilityViolations(page)).toEqual([]);
  const entries = (page: Page) => page.getByTestId('audit-entry');

  it('filters the audit log by flag, environment, action, actor and time, with only what changed', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, adminToken);
    await page.goto(`${s.consoleUrl}/audit`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit log');
    expect(await entries(page).count()).toBe(50);
    await noViolations(page);

    // Flag + environment + action: the one direct update of checkout in dev, diffed.
    await page.getByLabel('Flag', { exact: true }).fill('checkout');
    await page.getByLabel('Environment', { exact: true }).selectOption('shop.dev');
    await page.getByLabel('Action', { exact: true }).selectOption('update');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=update/);
    expect(new URL(page.url()).searchParams.get('flag')).toBe('checkout');
    await expect.poll(() => entries(page).count()).toBe(1);
    const update = entries(page).first();
    expect(await update.getByTestId('audit-action').textContent()).toBe('update');
    expect(await update.getByTestId('audit-what').textContent()).toBe('flag-config checkout in shop.dev');
    expect(await update.getByTestId('audit-who').textContent()).toContain('ada@example.com');
    expect(await update.getByTestId('audit-who').textContent()).toContain('ada laptop');
    expect(sorted(await diffRows(update))).toEqual([
      ['/defaultRule/variant', '"off"', '"on"'],
      ['/enabled', 'false', 'true'],
      ['/version', '1', '2'],
    ]);
    expect(await update.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    // The form shows the filters it applied.
    expect(await page.getByLabel('Flag', { exact: true }).inputValue()).toBe('checkout');
    expect(await page.getByLabel('Action', { exact: true }).inputValue()).toBe('update');
    await noViolations(page);

    // The applied change request in prod: why = the request.
    await page.getByLabel('Environment', { exact: true }).selectOption('shop.prod');
    await page.getByLabel('Action', { exact: true }).selectOption('apply');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=apply/);
    await expect.poll(() => entries(page).count()).toBe(1);
    expect(await entries(page).first().getByTestId('audit-why').textContent()).toMatch(/change request \d+/);
    expect(sorted(await diffRows(entries(page).first()))).toEqual([
      ['/defaultRule/variant', '"off"', '"on"'],
      ['/enabled', 'false', 'true'],
      ['/version', '1', '2'],
    ]);

    // Actor (admins pick a key): erin filed the change request.
    await page.goto(`${s.consoleUrl}/audit`);
    await page.getByLabel('Actor', { exact: true }).selectOption(editorKeyId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/actor=/);
    await expect.poll(() => entries(page).count()).toBeGreaterThan(0);
    for (const who of await entries(page).getByTestId('audit-who').allTextContents())
      expect(who).toContain('erin@example.com');
    expect(await entries(page).getByTestId('audit-action').allTextContents()).toContain('change-request.create');

    // A time range in the future has nothing; a malformed one is the API's 400, shown.
    await page.goto(`${s.consoleUrl}/audit`);
    await page.getByLabel('From (UTC)').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/from=2099/);
    await expect.poll(() => page.getByText('No entries match these filters.').count()).toBe(1);
    await page.goto(`${s.consoleUrl}/audit?to=yesterday`);
    const alert = page.locator('.error-panel');
    await expect.poll(() => alert.textContent()).toContain('query.to');
    expect(await alert.textContent()).toContain('ISO-8601');
    expect(await alert.textContent()).toContain('INVALID_PARAMETER');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit log');
    await noViolations(page);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pages with "Older entries", keeping the filters', async () => {
    const all = await s.admin.ok<ApiAuditPage>('GET', '/audit?flag=banner&limit=500');
    expect(all.items.length).toBeGreaterThan(55);
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, adminToken);
    await page.goto(`${s.consoleUrl}/audit?flag=banner`);
    await expect.poll(() => entries(page).count()).toBe(50);
    await page.getByRole('link', { name: 'Older entries' }).click();
    await page.waitForURL(/cursor=/);
    expect(new URL(page.url()).searchParams.get('flag')).toBe('banner');
    await expect.poll(() => entries(page).count()).toBe(all.items.length - 50);
    // Newest first, and the second page is the API's second page.
    const ids = await entries(page).evaluateAll((els) => els.map((e) => e.getAttribute('aria-labelledby')));
    expect(ids).toEqual(all.items.slice(50).map((e) => `audit-${e.id}`));
    expect(await page.getByLabel('Flag', { exact: true }).inputValue()).toBe('banner');
    expect(await page.getByRole('link', { name: 'Older entries' }).count()).toBe(0);
    await noViolations(page);
    await page.close();
  });

  it('asks a key limited to environments to choose one, and shows the API refusal until it does', async () => {
    const viewer = await s.mintKey({
      name: 'vic',
      owner: 'vic@example.com',
      role: 'viewer',
      environments: ['shop.dev'],
    });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, viewer);
    await page.goto(`${s.consoleUrl}/audit`);
    await expect
      .poll(() => page.locator('.error-panel').textContent())
      .toContain('a key limited to environments must filter');
    expect(await page.getByLabel('Environment', { exact: true }).locator('option').allTextContents()).toEqual([
      'choose one of yours',
      'shop.dev',
    ]);
    // Not an admin: the actor is a text field for a key id.
    expect(await page.getByLabel('Actor', { exact: true }).evaluate((e) => e.tagName)).toBe('INPUT');
    await page.getByLabel('Environment', { exact: true }).selectOption('shop.dev');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/environment=shop.dev/);
    await expect.poll(() => entries(page).count()).toBeGreaterThan(0);
    for (const what of await entries(page).getByTestId('audit-what').allTextContents())
      expect(what).toContain('shop.dev');
    await noViolations(page);
    await page.close();
  });

  it("shows a flag's history in an environment, as the API has it", async () => {
    const api = await s.admin.ok<ApiAuditPage>(
      'GET',
      '/audit?project=shop&flag=checkout&environment=shop.dev&limit=50',
    );
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, editorToken);
    await page.goto(`${s.consoleUrl}/projects/shop/environments/dev/flags/checkout/history`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('History of checkout in shop.dev');
    const tabs = page.getByRole('navigation', { name: 'Flag views' });
    expect(await tabs.getByRole('link', { name: 'History' }).getAttribute('aria-current')).toBe('page');
    expect(await tabs.getByRole('link', { name: 'Targeting' }).getAttribute('href')).toBe(
      '/projects/shop/environments/dev/flags/checkout',
    );
    await expect.poll(() => entries(page).count()).toBe(api.items.length);
    const update = page.locator('[data-testid="audit-entry"][data-action="update"]');
    await expect.poll(() => update.count()).toBe(1);
    expect(await update.getByTestId('audit-who').textContent()).toContain('ada@example.com');
    expect(sorted(await diffRows(update))).toEqual([
      ['/defaultRule/variant', '"off"', '"on"'],
      ['/enabled', 'false', 'true'],
      ['/version', '1', '2'],
    ]);
    await noViolations(page);
    expect(errors).toEqual([]);
    await page.close();
  });

  const ofrep = async () => {
    const r = await fetch(`${s.stack.evaluatorUrls[0]}/ofrep/v1/evaluate/flags/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'u1' } }),
    });
    return (await r.json()) as { value?: unknown; reason?: string };
  };

  it('kills the flag in an approval environment after reason and name; the evaluator answers DISABLED', async () => {
    await expect.poll(ofrep, { timeout: 15_000, interval: 250 }).toMatchObject({ value: true });
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, editorToken);
    await page.goto(`${s.consoleUrl}/projects/shop/environments/prod/flags/checkout`);
    const trigger = page.getByRole('button', { name: 'Turn off (kill switch)' });
    await trigger.waitFor();
    await noViolations(page);

    // Keyboard: open, Escape closes it, focus returns to the trigger.
    await trigger.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Turn off (kill switch)');

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Turn off', exact: true });
    await dialog.getByLabel('Reason').fill('incident 4711');
    expect(await confirm.isDisabled()).toBe(true);
    const typed = dialog.getByLabel(/Type Production to confirm/);
    await typed.fill('production');
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill('Production');
    expect(await confirm.isEnabled()).toBe(true);
    await noViolations(page);
    await confirm.click();
    await expect.poll(() => page.getByTestId('kill-message').textContent()).toContain('Turned off in shop.prod');
    await expect.poll(() => page.getByTestId('kill-switch').getByText('Off', { exact: true }).count()).toBe(1);

    await expect.poll(ofrep, { timeout: 10_000, interval: 200 }).toMatchObject({ value: false, reason: 'DISABLED' });

    await page.goto(`${s.consoleUrl}/audit?flag=checkout&action=kill`);
    await expect.poll(() => entries(page).count()).toBe(1);
    const kill = entries(page).first();
    expect(await kill.getByTestId('audit-why').textContent()).toBe('incident 4711');
    expect(await kill.getByTestId('audit-who').textContent()).toContain('erin@example.com');
    expect(await kill.getByTestId('audit-what').textContent()).toBe('flag-config checkout in shop.prod');
    expect(sorted(await diffRows(kill))).toEqual([
      ['/enabled', 'true', 'false'],
      ['/version', '2', '3'],
    ]);
    await noViolations(page);
    expect(errors).toEqual([]);
    await page.close();

    // A viewer sees the switch disabled, with the reason.
    const viewer = await s.mintKey({ name: 'val', owner: 'val@example.com', role: 'viewer' });
    const view = await browser.newPage();
    await signIn(view, s.consoleUrl, viewer);
    await view.goto(`${s.consoleUrl}/projects/shop/environments/dev/flags/checkout`);
    const off = view.getByRole('button', { name: 'Turn off (kill switch)' });
    await off.waitFor();
    expect(await off.isDisabled()).toBe(true);
    expect(await view.getByTestId('kill-switch').locator('.hint').textContent()).toMatch(/cannot|read-only/);
    await view.close();
  });
});
