import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, collectPageErrors, launchChromium, signIn } from '../../test-support/browser.ts';
import { type ConsoleStack, startConsoleStack } from '../../test-support/console-stack.ts';

describe('API keys page (Chromium, real stack)', () => {
  let s: ConsoleStack;
  let browser: Browser;
  beforeAll(async () => {
    s = await startConsoleStack();
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  const me = (token: string) =>
    fetch(`${s.stack.apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
    }));

  it('creates a key (token shown once, copyable, works), lists it, and revokes it through the dialog', async () => {
    await s.admin.ok('POST', '/projects', { key: 'shop', name: 'Shop' });
    await s.admin.ok('POST', '/projects/shop/environments', { key: 'dev', name: 'Development' });
    const adminToken = await s.mintKey({ name: 'console', owner: 'ada@example.com', role: 'admin' });
    const ctx = await browser.newContext();
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.consoleUrl });
    const page = await ctx.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, s.consoleUrl, adminToken);
    await page.goto(`${s.consoleUrl}/api-keys`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('API keys');
    // The admin's own key is listed with its owner.
    await expect.poll(() => page.locator('tbody tr', { hasText: 'ada@example.com' }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('ci pipeline');
    await page.getByLabel(/^Owner/).fill('bob@example.com');
    await page.getByLabel('Role').selectOption('editor');
    await page.getByLabel('Only the environments checked below').check();
    await page.getByLabel(/Shop · Development/).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const tokenField = page.getByLabel('Token of the new key');
    await tokenField.waitFor();
    const token = await tokenField.inputValue();
    expect(token.length).toBeGreaterThan(20);
    expect(await tokenField.getAttribute('readonly')).not.toBeNull();
    expect(await page.getByText('shown this once').count()).toBe(1);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect.poll(() => page.getByTestId('copy-status').textContent()).toBe('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    // Never in the URL or a cookie.
    expect(page.url()).not.toContain(token);
    for (const c of await ctx.cookies()) expect(c.value).not.toContain(token);
    expect(await accessibilityViolations(page)).toEqual([]);

    // The new key works against the API, as the person and scope the form said.
    const who = await me(token);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({
      name: 'ci pipeline',
      owner: 'bob@example.com',
      role: 'editor',
      environments: ['shop.dev'],
    });
    const row = page.locator('tbody tr', { hasText: 'bob@example.com' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('shop.dev');
    expect(await row.textContent()).toContain('active');

    // A reload does not show the token again.
    await page.reload();
    expect(await page.getByLabel('Token of the new key').count()).toBe(0);
    expect(await page.content()).not.toContain(token);

    // Revoke through the dialog: the API then answers the key 401.
    await page.getByRole('button', { name: 'Revoke ci pipeline' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('bob@example.com');
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect
      .poll(() => page.locator('tbody tr', { hasText: 'bob@example.com' }).textContent())
      .toContain('revoked');
    expect((await me(token)).status).toBe(401);
    const listed = await s.admin.ok<{ items: { name: string; revokedAt: string | null }[] }>('GET', '/api-keys');
    expect(listed.items.find((k) => k.name === 'ci pipeline')?.revokedAt).toBeTruthy();
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('shows an API refusal (422 for an sdk key without an environment) with its problems', async () => {
    const adminToken = await s.mintKey({ name: 'console 2', owner: 'ada@example.com', role: 'admin' });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, adminToken);
    await page.goto(`${s.consoleUrl}/api-keys`);
    await page.getByLabel('Name', { exact: true }).fill('web sdk');
    await page.getByLabel(/^Owner/).fill('web team');
    await page.getByLabel('Role').selectOption('sdk');
    await page.getByRole('button', { name: 'Create key' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The key was not created' });
    await expect.poll(() => alert.textContent()).toContain('environments');
    expect(await page.getByLabel('Token of the new key').count()).toBe(0);
    await page.close();
  });

  it('tells a non-admin that it needs an admin key', async () => {
    const token = await s.mintKey({ name: 'limited admin', owner: 'cy', role: 'admin', environments: ['shop.dev'] });
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, token);
    await page.goto(`${s.consoleUrl}/api-keys`);
    expect(await page.getByText('needs an admin key without an environment list').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  // Last: it revokes every other admin key, the stack's own included.
  it('shows the 409 for revoking the last admin key with the API error panel', async () => {
    const lastToken = await s.mintKey({ name: 'last one', owner: 'ada@example.com', role: 'admin' });
    const keys = await s.admin.ok<{
      items: { id: string; name: string; role: string; environments: unknown; revokedAt: unknown }[];
    }>('GET', '/api-keys');
    const last = keys.items.find((k) => k.name === 'last one')!;
    for (const k of keys.items)
      if (k.id !== last.id && k.role === 'admin' && k.environments === null && !k.revokedAt) {
        const r = await fetch(`${s.stack.apiUrl}/api-keys/${k.id}/revoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${lastToken}` },
        });
        expect(r.status).toBe(200);
      }
    const page = await browser.newPage();
    await signIn(page, s.consoleUrl, lastToken);
    await page.goto(`${s.consoleUrl}/api-keys`);
    await page.getByRole('button', { name: 'Revoke last one' }).click();
    const dialog = page.getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('you are signed in with');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('LAST_ADMIN');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const panel = page.getByRole('alert').filter({ hasText: 'The key was not revoked' });
    expect(await panel.textContent()).toContain('409');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect((await me(lastToken)).status).toBe(200);
    await page.close();
  });
});
